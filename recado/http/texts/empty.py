"""What an empty page says (``recado.http.empty_states``), in pt-BR and English: why there is
nothing to show, and what to configure when that is the reason."""

from __future__ import annotations

TEXT_PT: dict[str, str] = {
    "empty.todo": (
        "Para configurar, acrescente ao config.toml e reinicie o recado "
        "(sudo systemctl restart recado):"
    ),
    "empty.todo_service": (
        "Para configurar, acrescente ao config.toml, com o endereço do seu serviço no lugar do "
        "exemplo, e reinicie o recado (sudo systemctl restart recado):"
    ),
    "empty.filtered": "Nada encontrado com esses filtros. Limpe os filtros para ver tudo.",
    "empty.breakers.not_configured": (
        "Nenhum serviço configurado. Cada serviço do estúdio para o qual o recado entrega "
        "eventos (CRM, agenda, planilha) tem um disjuntor aqui: ele abre quando o serviço "
        "falha seguidas vezes e segura as entregas até o serviço voltar."
    ),
    "empty.breakers.nothing_yet": (
        "Nenhum disjuntor: os serviços configurados ainda não carregaram."
    ),
    "empty.sync.not_configured": (
        "Nenhuma sincronização configurada. Uma tarefa de sincronização copia registros de um "
        "serviço para outro no horário da agenda (cron, no fuso do estúdio)."
    ),
    "empty.sync.nothing_yet": "Nenhuma tarefa de sincronização.",
    "empty.sync_runs.nothing_yet": (
        "Esta tarefa ainda não rodou: a primeira execução é no próximo horário da agenda, "
        "ou agora, pelo botão Rodar agora."
    ),
    "empty.dlq.not_configured": (
        "Nenhum fluxo configurado: sem fluxos o recado não entrega eventos a outros serviços, "
        "então nenhuma entrega pode falhar. Um fluxo diz para qual serviço vai cada tipo de "
        "evento."
    ),
    "empty.dlq.nothing_yet": (
        "Nenhuma entrega falhou de vez. Uma entrega chega aqui quando o serviço a recusa ou "
        "as tentativas acabam; daqui a equipe tenta de novo ou arquiva."
    ),
    "empty.dlq_archived.nothing_yet": "Nenhuma entrega arquivada.",
    "empty.deliveries.not_configured": (
        "Nenhum fluxo para este tipo de evento: o evento foi guardado, mas não é entregue a "
        "nenhum serviço."
    ),
    "empty.deliveries.nothing_yet": "Nenhuma entrega para este evento ainda.",
    "empty.backups.not_configured": (
        "Nenhum backup agendado: o banco de dados não é copiado sozinho. Agende um backup "
        "diário (ou rode recado backup à mão)."
    ),
    "empty.backups.nothing_yet": (
        "Nenhum backup feito ainda: o primeiro sai no próximo horário da agenda "
        "(Próximo backup, acima)."
    ),
    "empty.alerts.nothing_yet": (
        "Nenhum alerta em aberto: nada precisa da equipe agora. Um alerta aparece quando um "
        "cliente pede atendimento, uma entrega falha de vez ou a conexão com o WhatsApp cai."
    ),
    "empty.alerts_all.nothing_yet": "Nenhum alerta registrado ainda.",
    "empty.incidents.nothing_yet": (
        "Nenhum incidente. O recado abre um sozinho quando a Meta falha, os webhooks param ou "
        "os envios falham demais; a equipe abre um à mão no formulário abaixo."
    ),
    "empty.conversations.nothing_yet": (
        "Nenhuma conversa ainda. Uma conversa aparece quando um cliente escreve para o número "
        "do estúdio ou recebe uma mensagem; conecte o número em /connect/whatsapp."
    ),
    "empty.conversation.nothing_yet": "Nenhuma mensagem nesta conversa.",
    "empty.messages.nothing_yet": (
        "Nenhuma mensagem ainda. O recado cria avisos e lembretes quando o sistema de agenda "
        "envia um agendamento para POST /api/v1/events (veja a API em /openapi.json)."
    ),
    "empty.webhooks.nothing_yet": (
        "Nenhum webhook recebido ainda. A Meta envia para /webhooks/whatsapp, no endereço "
        "público, os status de entrega e as respostas dos clientes, depois que o número é "
        "conectado em /connect/whatsapp."
    ),
    "empty.webhooks_set_aside.nothing_yet": (
        "Nenhum item separado: todo webhook recebido foi aplicado."
    ),
    "empty.audit.nothing_yet": (
        "Nenhuma ação registrada ainda. Cada ação da equipe (tentar de novo, arquivar, "
        "resetar um disjuntor, reconectar) fica registrada aqui, com horário e IP."
    ),
    "empty.templates_recent.nothing_yet": (
        "Nenhuma leitura dos modelos na Meta ainda: ela acontece quando o WhatsApp está "
        "conectado, na partida e a cada hora."
    ),
}

TEXT_EN: dict[str, str] = {
    "empty.todo": (
        "To configure it, add to config.toml and restart recado (sudo systemctl restart recado):"
    ),
    "empty.todo_service": (
        "To configure it, add to config.toml, with your service's address instead of the "
        "example, and restart recado (sudo systemctl restart recado):"
    ),
    "empty.filtered": "Nothing matches these filters. Clear them to see everything.",
    "empty.breakers.not_configured": (
        "No service configured. Each of the studio's services recado delivers events to (CRM, "
        "calendar, sheet) has a breaker here: it opens when the service keeps failing and holds "
        "deliveries until the service is back."
    ),
    "empty.breakers.nothing_yet": "No breakers: the configured services have not loaded yet.",
    "empty.sync.not_configured": (
        "No sync job configured. A sync job copies records from one service to another on a "
        "schedule (cron, in the studio's zone)."
    ),
    "empty.sync.nothing_yet": "No sync jobs.",
    "empty.sync_runs.nothing_yet": (
        "This job has not run yet: its first run is at the next scheduled time, or now, with "
        "the Run now button."
    ),
    "empty.dlq.not_configured": (
        "No flow configured: without flows recado delivers no events to other services, so no "
        "delivery can fail. A flow says which service each event type goes to."
    ),
    "empty.dlq.nothing_yet": (
        "No delivery failed for good. A delivery lands here when the service refuses it or its "
        "attempts run out; from here the team retries or archives it."
    ),
    "empty.dlq_archived.nothing_yet": "No archived deliveries.",
    "empty.deliveries.not_configured": (
        "No flow for this event type: the event was stored, but it is delivered to no service."
    ),
    "empty.deliveries.nothing_yet": "No deliveries for this event yet.",
    "empty.backups.not_configured": (
        "No backup scheduled: the database is not copied by itself. Schedule a daily backup "
        "(or run recado backup by hand)."
    ),
    "empty.backups.nothing_yet": (
        "No backup taken yet: the first one runs at the next scheduled time (Next backup, above)."
    ),
    "empty.alerts.nothing_yet": (
        "No open alerts: nothing needs the team now. An alert appears when a client asks for a "
        "person, a delivery fails for good or the WhatsApp connection drops."
    ),
    "empty.alerts_all.nothing_yet": "No alerts recorded yet.",
    "empty.incidents.nothing_yet": (
        "No incidents. recado opens one by itself when Meta fails, webhooks stop or too many "
        "sends fail; the team opens one by hand with the form below."
    ),
    "empty.conversations.nothing_yet": (
        "No conversations yet. A conversation appears when a client writes to the studio's "
        "number or is sent a message; connect the number at /connect/whatsapp."
    ),
    "empty.conversation.nothing_yet": "No messages in this conversation.",
    "empty.messages.nothing_yet": (
        "No messages yet. recado creates notices and reminders when the booking system sends "
        "an appointment to POST /api/v1/events (see the API at /openapi.json)."
    ),
    "empty.webhooks.nothing_yet": (
        "No webhooks received yet. Meta posts delivery statuses and clients' replies to "
        "/webhooks/whatsapp on the public address once the number is connected at "
        "/connect/whatsapp."
    ),
    "empty.webhooks_set_aside.nothing_yet": (
        "Nothing set aside: every webhook received was applied."
    ),
    "empty.audit.nothing_yet": (
        "No actions recorded yet. Every action of the team (retry, archive, reset a breaker, "
        "reconnect) is recorded here with its time and IP."
    ),
    "empty.templates_recent.nothing_yet": (
        "No template reads from Meta yet: they happen while WhatsApp is connected, at start-up "
        "and every hour."
    ),
}

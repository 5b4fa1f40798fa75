"""The contingency reply (the SOP's "mensagem automática de contingência"): while an
incident has it on, a client who writes gets one fixed pt-BR text naming the studio's
alternative channel — once per incident (pure).

It is planned from the client's own message, in that message's transaction, so the 24 h
window is open by construction; still, a message Meta delivers late (its own timestamp a day
old, a retried webhook) opens nothing and gets no reply. The sender checks the window again
before it sends, as for every free-form message.
"""

from __future__ import annotations

from datetime import datetime

from recado.rules.window import WINDOW

CHANNELS = ("email", "phone")
PLACEHOLDER = "{canal}"
DEFAULT_TEXT = (
    "Olá! Estamos com uma instabilidade no nosso atendimento pelo WhatsApp e podemos demorar "
    "a responder por aqui. Para falar com a equipe agora, use {canal}. Obrigado pela "
    "paciência!"
)


def channel_words(kind: str, contact: str) -> str:
    """How the text names the alternative channel."""
    return f"o e-mail {contact}" if kind == "email" else f"o telefone {contact}"


def reply_text(template: str, kind: str, contact: str) -> str:
    words = channel_words(kind, contact)
    if PLACEHOLDER in template:
        return template.replace(PLACEHOLDER, words)
    return f"{template.rstrip()} ({words})"


def should_reply(mode: str, inbound_at: datetime | None, now: datetime) -> bool:
    """A reply is planned for this inbound message: sending is not disabled and the message
    itself is recent enough to keep the window open."""
    if mode == "disabled" or inbound_at is None:
        return False
    return now - inbound_at < WINDOW

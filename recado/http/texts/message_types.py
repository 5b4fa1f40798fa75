"""The words for the types of WhatsApp messages a conversation page lists (Meta's
``messages[].type``), in pt-BR and English; a type Meta adds later shows as "other" with its
code."""

from __future__ import annotations

MESSAGE_TYPES: dict[str, dict[str, str]] = {
    "pt-BR": {
        "text": "texto",
        "button": "toque em botão",
        "interactive": "resposta interativa",
        "image": "imagem",
        "audio": "áudio",
        "video": "vídeo",
        "document": "documento",
        "sticker": "figurinha",
        "location": "localização",
        "contacts": "contato",
        "reaction": "reação",
        "order": "pedido",
        "system": "aviso do sistema",
        "request_welcome": "primeiro contato",
        "unsupported": "não suportada",
        "unknown": "desconhecida",
        "other": "outro tipo",
    },
    "en": {
        "text": "text",
        "button": "button tap",
        "interactive": "interactive reply",
        "image": "image",
        "audio": "audio",
        "video": "video",
        "document": "document",
        "sticker": "sticker",
        "location": "location",
        "contacts": "contact",
        "reaction": "reaction",
        "order": "order",
        "system": "system notice",
        "request_welcome": "first contact",
        "unsupported": "unsupported",
        "unknown": "unknown",
        "other": "other type",
    },
}

"""recado: a studio's WhatsApp automation and integration daemon."""

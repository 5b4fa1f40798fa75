"""What connecting WhatsApp through Embedded Signup needs from the config, and the keys that
protect the tokens it brings (``security.previous_secret_key``)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from recado.config.schema import Config

# ASCII digits only (\d takes any script's digits, which Meta refuses), and no newline.
_PIN = re.compile(r"[0-9]{6}", re.ASCII)


def check_signup(cfg: Config) -> list[str]:
    problems: list[str] = []
    add = problems.append
    w = cfg.whatsapp
    if w.register_pin and not _PIN.fullmatch(w.register_pin):
        add(
            "whatsapp.register_pin_file: the PIN is not 6 digits "
            "(expected the number's two-step verification PIN, e.g. 123456)"
        )
    for key, value in (("whatsapp.sdk_url", w.sdk_url),):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            add(f'{key}: "{value}" is not a URL (expected http(s)://…)')
    if w.override_callback_uri:
        parts = urlsplit(w.override_callback_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            add(
                f'whatsapp.override_callback_uri: "{w.override_callback_uri}" is not a URL '
                "(expected the https:// address Meta posts this WABA's webhooks to)"
            )
        if not w.verify_token:
            add(
                "whatsapp.verify_token_file: required with whatsapp.override_callback_uri "
                "(expected the verify token Meta sends to the override's address)"
            )
    origin = urlsplit(w.signup_origin)
    if (
        origin.scheme not in ("http", "https")
        or not origin.hostname
        or origin.path not in ("", "/")
        or origin.query
        or origin.fragment
    ):
        add(
            f'whatsapp.signup_origin: "{w.signup_origin}" is not an origin '
            '(expected scheme://host[:port], e.g. "https://facebook.com")'
        )
    if w.embedded_signup_enabled:
        missing = [
            key
            for key, value in (
                ("whatsapp.app_id", w.app_id),
                ("whatsapp.es_config_id", w.es_config_id),
                ("whatsapp.app_secret_file", w.app_secret),
            )
            if not value
        ]
        for key in missing:
            add(
                f"{key}: required when whatsapp.embedded_signup_enabled = true "
                "(expected the value from the Meta app's dashboard)"
            )
    if cfg.security.previous_secret_key:
        try:
            ok = len(base64.b64decode(cfg.security.previous_secret_key, validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            add(
                "security.previous_secret_key_file: the key is not base64 of 32 bytes "
                "(expected the master key used before the change)"
            )
    return problems

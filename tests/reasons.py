"""Reading a message's stored reason as the pages do (a code with parameters, its sentence
from ``rules/message_reasons``)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from recado.rules.message_reasons import reason_text


def reason_in(reason_json: str, locale: str, tz: str = "America/Sao_Paulo") -> str:
    text = reason_text(json.loads(reason_json), locale, ZoneInfo(tz))
    assert text is not None, reason_json
    return text

"""``recado messages show`` says what each entry of a message's timeline is, in the words of
the timeline's JSON (``http/message_timeline``): an operator's retry or discard and a
cancellation used to print as "queued"."""

from __future__ import annotations

from typing import Any

import msgspec

from recado.cli.main import timeline_line
from recado.http.message_timeline import Canceled, Operator, Queued, TimelineEvent


def _wire(event: TimelineEvent) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(event))
    return decoded


def test_each_kind_of_entry_prints_as_what_it_is() -> None:
    at, local = "2026-12-01T12:00:00.000Z", "01/12/2026 09:00"
    assert timeline_line(_wire(Queued(at=at, local=local))) == "queued"
    retry = Operator(
        at=at, local=local, action="retry", source_ip="127.0.0.1", previous_state="dead"
    )
    assert timeline_line(_wire(retry)) == "operator retry from 127.0.0.1 (was dead)"
    discard = Operator(at=at, local=local, action="discard", source_ip="", previous_state=None)
    assert timeline_line(_wire(discard)) == "operator discard from -"
    canceled = Canceled(at=at, local=local, reason="O agendamento foi cancelado.")
    assert timeline_line(_wire(canceled)) == "canceled: O agendamento foi cancelado."
    assert timeline_line(_wire(Canceled(at=at, local=local, reason=None))) == "canceled"
    # A kind this command does not know yet is named, not passed off as another.
    assert timeline_line({"what": "edited", "local": local}) == "edited"

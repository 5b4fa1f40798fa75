"""A client's edits and deletions on the conversation's timeline (issue 12, item 6): an
edited text shows its last version, a deleted one says so; against the daemon."""

from __future__ import annotations

from pathlib import Path

from recado.testing import webhook_bodies as wb
from recado.whatsapp.webhook_parse import InboundMessage, parse_body
from tests.webhook_helpers import deliver, query, webhook_daemon

WA = "5511987654321"
T0 = 1796000000


def test_the_parser_reads_the_original_and_the_new_text() -> None:
    body = wb.envelope(
        [wb.inbound_edit("wamid.O", "sexta?", id="wamid.E"), wb.inbound_revoke("wamid.O")]
    )
    edit, revoke = parse_body(wb.encode(body)).items
    assert isinstance(edit, InboundMessage) and isinstance(revoke, InboundMessage)
    assert (edit.type, edit.original_wamid, edit.text_body) == ("edit", "wamid.O", "sexta?")
    assert (revoke.type, revoke.original_wamid, revoke.text_body) == ("revoke", "wamid.O", None)
    # A plain text names no original, whatever its content says.
    odd = wb.inbound("text", {"body": "oi", "original_message_id": "wamid.O"})
    (plain,) = parse_body(wb.encode(wb.envelope([odd]))).items
    assert isinstance(plain, InboundMessage) and plain.original_wamid is None


async def test_edits_show_the_last_version_and_a_revoke_says_so(daemon_dir: Path) -> None:
    async with webhook_daemon(daemon_dir) as (daemon, client):
        kw = {"wa_id": WA}
        # The second edit arrives before the first one and before its message.
        await deliver(
            daemon, client, wb.inbound_edit("wamid.T1", "sábado?", id="wamid.E2", ts=T0 + 20, **kw)
        )
        await deliver(
            daemon, client, wb.inbound_text("Tem horário quinta?", id="wamid.T1", ts=T0, **kw)
        )
        edit1 = wb.inbound_edit("wamid.T1", "sexta?", id="wamid.E1", ts=T0 + 10, **kw)
        await deliver(daemon, client, edit1)
        await deliver(daemon, client, edit1)  # redelivered: nothing new
        await deliver(
            daemon, client, wb.inbound_text("meu CPF é 123", id="wamid.T2", ts=T0 + 30, **kw)
        )
        await deliver(
            daemon, client, wb.inbound_revoke("wamid.T2", id="wamid.R2", ts=T0 + 40, **kw)
        )
        # An edit of a message recado never saw is shown as it came.
        await deliver(
            daemon, client, wb.inbound_edit("wamid.GONE", "ok", id="wamid.E9", ts=T0 + 50, **kw)
        )
        assert query(daemon, "SELECT COUNT(*) AS n FROM inbound_messages") == [{"n": 6}]
        op = daemon.listeners["operator"].url
        page = (await client.get(f"{op}/conversations/{WA}.json")).json()
        shown = [
            (a["wamid"], a["type"], a["text"], a["edited"], a["revoked"]) for a in page["activity"]
        ]
        assert shown == [
            ("wamid.E9", "edit", "ok", False, False),
            ("wamid.T2", "text", None, False, True),
            ("wamid.T1", "text", "sábado?", True, False),
        ]
        html = (await client.get(f"{op}/conversations/{WA}")).text
        assert "Mensagem apagada pelo cliente" in html and "meu CPF" not in html
        assert "sábado? <small" in html and "(editada)" in html
        assert "quinta" not in html

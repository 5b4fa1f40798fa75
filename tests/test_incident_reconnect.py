"""The incident page's "reconnect WhatsApp": the configured token checked with Meta now. Only
Meta accepting it lifts the pause its refusal set (and the auth incident's cause clears);
a refusal leaves everything paused and says what to do; each check is audited."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import trio.testing

from tests.incident_helpers import TOKEN, incident_stack
from tests.signup_helpers import connect, key, op, signup_stack, status, until
from tests.webhook_helpers import query

MINUTE = 60.0


async def test_reconnect_lifts_the_pause_only_when_meta_accepts_the_token(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        s.graph.fail_next(1, 190, http_status=401, subcode=463)
        await s.book("apt-1")
        await s.until(lambda: s.daemon.sending_paused is not None, within_s=5)
        await s.until(lambda: bool(s.of_cause("auth_broken")), within_s=MINUTE)
        (incident,) = s.of_cause("auth_broken")
        reconnect = f"/incidents/{incident['id']}/actions/reconnect_whatsapp"
        paused = "SELECT key FROM settings WHERE key = 'sending_paused'"
        auth_alert = "SELECT 1 FROM alerts WHERE code = 'whatsapp_auth' AND resolved_at IS NULL"

        # Meta revoked the token: the check says so and nothing is lifted.
        s.graph.token = "a-token-meta-now-accepts"
        refused = await s.post(reconnect)
        assert refused.status_code == 200, refused.text
        assert refused.json()["token"] == "refused"
        assert s.daemon.sending_paused is not None
        assert s.rows(paused) and s.rows(auth_alert)
        last = s.rows("SELECT text_pt FROM incident_timeline ORDER BY id DESC LIMIT 1")[0]
        assert "access_token_file" in last["text_pt"] and "reinicie" in last["text_pt"]
        await s.book("apt-2")
        await s.advance(2 * MINUTE, step=20)
        assert [r.answered for r in s.graph.sends()] == ["error 190"]

        # Meta takes the configured token again: sending resumes, the cause clears.
        s.graph.token = TOKEN
        accepted = await s.post(reconnect)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["token"] == "accepted"
        assert s.daemon.sending_paused is None
        assert s.rows(paused) == [] and s.rows(auth_alert) == []
        await s.until(lambda: "ok" in [r.answered for r in s.graph.sends()], within_s=MINUTE)
        await s.until(
            lambda: s.of_cause("auth_broken")[0]["cause_active"] == 0, within_s=2 * MINUTE
        )
        # The token never reaches the timeline or the audit; each check is audited.
        audits = s.rows(
            "SELECT detail_json FROM audit_log WHERE action = 'incident.reconnect_whatsapp' "
            "ORDER BY id"
        )
        assert [json.loads(a["detail_json"])["token"] for a in audits] == ["refused", "accepted"]
        stored = json.dumps(s.rows("SELECT * FROM incident_timeline")) + json.dumps(audits)
        assert TOKEN not in stored


async def test_reconnect_changes_nothing_when_meta_cannot_be_asked(
    daemon_dir: Path, mock_clock: trio.testing.MockClock
) -> None:
    async with incident_stack(daemon_dir, mock_clock) as s:
        incident_id = (await s.post("/incidents", {"severity": "sev1", "title": "X"})).json()["id"]
        # Meta out of reach: a port where nothing listens.
        wa = msgspec.structs.replace(s.daemon.config.whatsapp, graph_base_url="http://127.0.0.1:9")
        s.daemon.config = msgspec.structs.replace(s.daemon.config, whatsapp=wa)
        unknown = await s.post(f"/incidents/{incident_id}/actions/reconnect_whatsapp")
        assert unknown.status_code == 200, unknown.text
        assert unknown.json()["token"] == "unknown"
        assert "could not be reached" in unknown.json()["detail"]
        last = s.rows("SELECT text_en FROM incident_timeline ORDER BY id DESC LIMIT 1")[0]
        assert last["text_en"].startswith("The token could not be checked")


async def test_reconnect_checks_the_connections_token_and_a_refusal_loses_it(
    daemon_dir: Path,
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        await connect(daemon, double, client)
        creds = daemon.whatsapp_credentials()
        assert creds is not None and creds.source == "connection"
        opened = await client.post(
            op(daemon, "/incidents"), json={"severity": "sev1", "title": "X"}, headers=key(daemon)
        )
        incident_id = opened.json()["id"]
        reconnect = op(daemon, f"/incidents/{incident_id}/actions/reconnect_whatsapp")
        fine = await client.post(reconnect, headers=key(daemon))
        assert fine.status_code == 200, fine.text
        assert (fine.json()["token"], fine.json()["source"]) == ("accepted", "connection")

        page = await client.get(op(daemon, f"/incidents/{incident_id}"), headers=key(daemon))
        assert 'id="act-reconnect"' in page.text and 'href="/connect/whatsapp"' in page.text

        for token in double.signup.tokens.values():
            token.valid = False  # Meta revoked the connection's token
        refused = await client.post(reconnect, headers=key(daemon))
        assert refused.status_code == 200, refused.text
        assert refused.json()["token"] == "refused"
        (entry,) = query(
            daemon,
            "SELECT text_pt FROM incident_timeline WHERE kind = 'action' ORDER BY id DESC LIMIT 1",
        )
        assert "/connect/whatsapp" in entry["text_pt"]
        assert (await status(daemon, client))["status"] == "error"
        assert daemon.sending_paused is not None
        assert creds.token not in json.dumps(query(daemon, "SELECT * FROM incident_timeline"))


async def test_a_lost_connection_opens_the_sev1_auth_incident(daemon_dir: Path) -> None:
    fast = "[incidents]\ncheck_interval_s = 0.2\n"
    async with signup_stack(daemon_dir, fast) as (daemon, double, client):
        await connect(daemon, double, client)
        for token in double.signup.tokens.values():
            token.valid = False
        # A read with the connection's token meets Meta's 190: the connection is in error.
        creds = daemon.whatsapp_credentials()
        assert creds is not None
        await daemon.commands.connection.read_refused(creds, "number", "graph_190", "pt", "en")
        assert (await status(daemon, client))["status"] == "error"

        def auth_incidents() -> list[dict[str, object]]:
            return query(daemon, "SELECT severity FROM incidents WHERE cause = 'auth_broken'")

        assert await until(auth_incidents, "the auth incident") == [{"severity": "sev1"}]

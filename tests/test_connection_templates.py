"""Template sync with an Embedded Signup connection: the templates are read with the
connection's token from the connection's WABA as soon as it is made, the checks before a send
use that WABA's definitions, and a token Meta refuses on the read loses the connection as a
refused send does (issue 13 items 4 and 5 together)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recado.runtime.context import Daemon
from recado.testing.graph_templates import TemplateSpec
from recado.testing.graph_wire import graph_error
from recado.testing.signup_double import NEW_NUMBER
from tests.signup_helpers import FALLBACK_TOKEN, connect, signup_double, signup_stack, status, until
from tests.template_helpers import reason_of
from tests.test_sender import book, notice_reaches
from tests.webhook_helpers import query, write_secrets

SPECS = {
    # Meta's definition has 4 body parameters; the configuration sends 5.
    "aviso_de_agendamento": TemplateSpec("pt_BR", 4, 3),
    "confirmacao_de_agendamento_24h": TemplateSpec("pt_BR", 5, 3),
}


def _syncs(daemon: Daemon) -> list[dict[str, Any]]:
    return query(daemon, "SELECT trigger, waba_id, outcome, error_code FROM wa_template_syncs")


async def test_a_new_connection_reads_its_own_wabas_templates_at_once(daemon_dir: Path) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        double.templates = dict(SPECS)
        # No token nor WABA in the config: nothing is read before the connection.
        assert _syncs(daemon) == []
        await connect(daemon, double, client)
        syncs = await until(lambda: _syncs(daemon), "a read after the connection")
        assert syncs == [
            {
                "trigger": "connection",
                "waba_id": NEW_NUMBER.waba_id,
                "outcome": "ok",
                "error_code": None,
            }
        ]
        token = double.signup.token_for(NEW_NUMBER)
        (listing,) = [r for r in double.requests if r.path.endswith("/message_templates")]
        assert listing.path.endswith(f"/{NEW_NUMBER.waba_id}/message_templates")
        assert listing.headers["authorization"] == f"Bearer {token}"

        # The checks before a send use the connection's WABA: the parameter count differs.
        await book(daemon, client)
        await notice_reaches(daemon, "skipped")
        assert reason_of(daemon)["code"] == "template_body_params"
        assert double.sends() == []


async def test_a_190_on_the_templates_read_puts_the_connection_in_error(
    daemon_dir: Path,
) -> None:
    async with signup_stack(daemon_dir) as (daemon, double, client):
        double.templates = dict(SPECS)
        cid = (await connect(daemon, double, client))["connection_id"]
        await until(lambda: _syncs(daemon), "the first read")
        double.listing_script.append(
            (401, graph_error(190, "Error validating access token: session expired", 463))
        )
        read = await daemon.commands.templates.sync_now("127.0.0.1")
        assert read is not None and read.outcome == "failed"
        record = (await status(daemon, client))["connection"]
        assert record["id"] == cid and record["status"] == "error"
        assert record["error_step"] == "templates"
        assert "o token expirou" in record["reason_pt"]
        assert daemon.sending_paused is not None
        assert daemon.whatsapp_credentials() is None  # nothing else to send with
        steps = query(
            daemon,
            "SELECT step, outcome FROM whatsapp_connection_steps WHERE connection_id = ?",
            cid,
        )
        assert {"step": "templates", "outcome": "failed"} in steps
        alerts = query(daemon, "SELECT severity FROM alerts WHERE code = 'whatsapp_connection'")
        assert alerts == [{"severity": "critical"}]


async def test_a_refused_read_by_the_configs_token_leaves_no_connection_touched(
    daemon_dir: Path,
) -> None:
    # With the config's token (no connection) a 190 on the read is a failed read, as before.
    toml = 'access_token_file = "token"\nphone_number_id = "106540352242922"\n'
    write_secrets(daemon_dir)
    (daemon_dir / "token").write_text(FALLBACK_TOKEN)
    double = signup_double()
    double.templates = dict(SPECS)
    async with signup_stack(
        daemon_dir, toml + f'waba_id = "{double.waba_id}"\n', double=double
    ) as (daemon, _, _client):
        await until(lambda: _syncs(daemon), "the start's read")
        double.listing_script.append((401, graph_error(190, "Invalid OAuth access token", 467)))
        read = await daemon.commands.templates.sync_now("127.0.0.1")
        assert read is not None and read.outcome == "failed"
        assert query(daemon, "SELECT id FROM whatsapp_connections") == []
        assert query(daemon, "SELECT id FROM alerts WHERE code = 'whatsapp_connection'") == []

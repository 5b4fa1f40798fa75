"""Meta's webhook endpoint: verify handshake, and durable-before-200 ingestion
(docs/reference.md §4.1-4.2).

Nothing is parsed into domain rows here: the raw bytes are checked (size, signature, envelope)
and committed to the inbox; the 200 goes out only after that commit. The webhook processor
applies the body afterwards.
"""

from __future__ import annotations

import trio
from quart import Quart, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from recado.http.auth import client_ip
from recado.http.errors import json_error
from recado.logs import get_logger
from recado.rules.json_depth import depth_ok, too_deep_detail
from recado.runtime.context import Daemon
from recado.storage.inbox import insert_inbox, insert_reject
from recado.whatsapp.signature import SignatureCheck, verify, verify_token_matches
from recado.whatsapp.webhook_envelope import EnvelopeError, check_envelope

log = get_logger("webhooks")

_SIGNATURE_DETAIL = {
    SignatureCheck.missing: "the X-Hub-Signature-256 header is missing",
    SignatureCheck.malformed: "the X-Hub-Signature-256 header is not 'sha256=<hex>'",
    SignatureCheck.mismatch: "the X-Hub-Signature-256 does not match the body",
}


def install_webhook_routes(app: Quart, daemon: Daemon) -> None:
    metrics = daemon.metrics

    @app.get("/webhooks/whatsapp")
    async def verify_handshake() -> Response:
        args = request.args
        if args.get("hub.mode") == "subscribe" and verify_token_matches(
            daemon.config.whatsapp.verify_token, args.get("hub.verify_token")
        ):
            challenge = args.get("hub.challenge", "")
            return Response(challenge, status=200, content_type="text/plain; charset=utf-8")
        return json_error(403, "forbidden", "hub.mode or hub.verify_token is wrong")

    @app.post("/webhooks/whatsapp")
    async def receive() -> Response:
        try:
            body: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
        except RequestEntityTooLarge:
            metrics.webhook_requests.labels("too_large").inc()
            daemon.oversized_webhooks.note(trio.current_time(), request.content_length or 0)
            log.info("webhook_rejected", reason="too_large", remote_ip=client_ip())
            raise
        secret = daemon.config.whatsapp.app_secret
        signature_ok: bool | None = None
        if secret:
            check = verify(secret, body, request.headers.get("X-Hub-Signature-256"))
            if check is not SignatureCheck.ok:
                metrics.webhook_requests.labels("bad_signature").inc()
                daemon.forged_webhooks.note(trio.current_time())
                log.info(
                    "webhook_rejected", reason=f"signature_{check.value}", remote_ip=client_ip()
                )
                return json_error(401, "bad_signature", _SIGNATURE_DETAIL[check])
            signature_ok = True
        now = daemon.clock.now()
        # Measured before anything decodes it: too deep a body makes decoders recurse.
        envelope = (
            check_envelope(body) if depth_ok(body) else EnvelopeError("too_deep", too_deep_detail())
        )
        if isinstance(envelope, EnvelopeError):
            metrics.webhook_requests.labels("rejected").inc()
            log.info("webhook_rejected", reason=envelope.code, remote_ip=client_ip())
            await daemon.storage.write(
                insert_reject, now, envelope.code, envelope.detail, body, client_ip()
            )
            return json_error(400, envelope.code, envelope.detail)
        fields = ",".join(sorted(envelope.fields))
        inbox_id = await daemon.storage.write(
            insert_inbox, now, body, signature_ok, fields, client_ip()
        )
        metrics.webhook_requests.labels("accepted").inc()
        log.info(
            "webhook_accepted",
            inbox_id=inbox_id,
            fields=fields,
            signed=signature_ok is True,
            bytes=len(body),
            remote_ip=client_ip(),
        )
        daemon.after_commit("webhooks")
        return Response(
            f'{{"status":"received","id":{inbox_id}}}', status=200, content_type="application/json"
        )

"""The Connect WhatsApp page's data, typed (docs/reference.md: one Struct per page): the
connection record as pages may show it (never a ciphertext), its history, the coexistence
syncs, the signup funnel and what the page's script needs to load Meta's SDK."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from recado.http.i18n import page_locale
from recado.rules.signup import STEPS_EN, STEPS_PT
from recado.runtime.connection_commands import ConnectionView, SmbSync
from recado.runtime.context import Daemon
from recado.storage import whatsapp_connections as cs
from recado.storage.product_events import funnel


class HistoryStep(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: str
    step: str
    label: str
    outcome: str  # ok | failed | skipped | retry | info
    http_status: int | None
    code: int | None
    subcode: int | None
    detail: str
    detail_text: str  # in the page's language


class TimeToComplete(msgspec.Struct, frozen=True, kw_only=True):
    median: float | None
    max: float | None


class ErrorCount(msgspec.Struct, frozen=True, kw_only=True):
    error_code: str
    step_failed: str
    count: int


class Funnel(msgspec.Struct, frozen=True, kw_only=True):
    since: str
    viewed: int
    started: int
    completed: int
    failed: int
    cancelled: int
    disconnected: int
    completion_rate: float | None
    time_to_complete_seconds: TimeToComplete
    errors: list[ErrorCount]


class SdkConfig(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    app_id: str
    config_id: str
    version: str
    origin: str


class ConnectPage(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool
    missing: list[str]
    status: str
    source: str
    connection: ConnectionView | None
    reason: str | None
    smb_syncs: list[SmbSync]
    history: list[HistoryStep]
    funnel: Funnel
    sdk: SdkConfig | None


async def connect_data(daemon: Daemon) -> ConnectPage:
    wa, storage = daemon.config.whatsapp, daemon.storage
    status = await daemon.commands.connection.status()
    en = page_locale(daemon) == "en"
    labels = STEPS_EN if en else STEPS_PT
    history = []
    if status.connection is not None:
        for step in await storage.read(cs.steps, status.connection.id, 50):
            text = step["detail"] if en or step["detail_pt"] is None else step["detail_pt"]
            row = {k: v for k, v in step.items() if k != "detail_pt"}
            history.append(
                HistoryStep(**row, label=labels.get(step["step"], step["step"]), detail_text=text)
            )
    missing = [
        key
        for key, value in (
            ("whatsapp.app_id", wa.app_id),
            ("whatsapp.es_config_id", wa.es_config_id),
            ("whatsapp.app_secret_file", wa.app_secret),
        )
        if not value
    ]
    c = status.connection
    since = daemon.clock.now() - timedelta(days=30)
    return ConnectPage(
        enabled=wa.embedded_signup_enabled,
        missing=missing,
        status=status.status,
        source=status.source,
        connection=c,
        reason=(c.reason_en if en else c.reason_pt) if c else None,
        smb_syncs=status.smb_syncs,
        history=history,
        funnel=msgspec.convert(await storage.read(funnel, since), Funnel),
        sdk=SdkConfig(
            url=wa.sdk_url,
            app_id=wa.app_id,
            config_id=wa.es_config_id,
            version=wa.api_version,
            origin=wa.signup_origin.rstrip("/"),
        )
        if wa.embedded_signup_enabled
        else None,
    )

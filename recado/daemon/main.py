"""The daemon's lifecycle: open storage, start the actors and listeners, run until a signal.

Shutdown order matters for "nothing lost": listeners stop accepting and finish their
in-flight requests, actors are cancelled (their in-flight work is shielded with its own
deadline), and the storage actor goes last, committing everything still queued.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import trio

from recado.actors.backups import Backups
from recado.actors.breaker_monitor import BreakerMonitor
from recado.actors.delivery_worker import DeliveryWorker
from recado.actors.incident_monitor import IncidentMonitor
from recado.actors.retention import Retention
from recado.actors.runtime_alerts import RuntimeAlerts
from recado.actors.sender import Sender
from recado.actors.sync_runner import SyncRunner
from recado.actors.template_sync import TemplateSyncer
from recado.actors.webhook_processor import WebhookProcessor
from recado.actors.whatsapp_connection import ConnectionActor
from recado.clock import Clock, SystemClock, iso
from recado.config import Config, ConfigError, load_config
from recado.daemon.connection_alerts import CapAlerts
from recado.daemon.fd_limit import ensure_fd_budget
from recado.daemon.hooks import DaemonHooks
from recado.daemon.local_keys import LocalKeyError, local_api_key, local_secret_key
from recado.daemon.lock import DataDirBusy
from recado.daemon.lock import acquire as acquire_lock
from recado.daemon.runtime_file import remove_runtime, write_runtime
from recado.http.operator_app import create_operator_app
from recado.http.public_app import create_public_app
from recado.http.serve import ConnectionGate, serve_http
from recado.logs import get_logger, set_secrets
from recado.rules.flows import flow_table
from recado.rules.health import watchdog
from recado.runtime import sdnotify
from recado.runtime.breakers import BreakerBoard
from recado.runtime.context import Daemon
from recado.runtime.health import runtime_facts
from recado.runtime.listeners import BindError, ConnectionLimits, Listener
from recado.runtime.reload import reload_config, secrets_of
from recado.runtime.supervisor import Start, Supervisor, start_all
from recado.runtime.wakeup import Wakeups
from recado.storage.actor import MAX_BATCH, Storage
from recado.storage.faults import StorageFault, check_writable
from recado.storage.settings import KILL_SWITCH, get_setting

log = get_logger("daemon")


@dataclass(frozen=True)
class ActorSpec:
    name: str
    fn: Callable[..., Awaitable[Any]]
    # The actors whose start this one's start must wait for; the others start beside it.
    after: tuple[str, ...] = ()


# The actors whose first step reads what another's start loads: the sender and the template
# sync use the connection's token and WABA, the breaker monitor moves the breakers the
# delivery worker loads. Every other actor starts at the same time as the rest.
START_AFTER: dict[str, tuple[str, ...]] = {
    "sender": ("whatsapp_connection",),
    "template_sync": ("whatsapp_connection",),
    "breaker_monitor": ("delivery_worker",),
}


ActorFactory = Callable[[Daemon], Sequence[ActorSpec]]


class StartupError(Exception):
    """The daemon cannot start; the message says why and what to do."""


def domain_actors(daemon: Daemon) -> list[ActorSpec]:
    """The long-running actors of the product, created (and their operator commands
    registered) before the listeners open, so that a request never finds one missing."""
    webhooks = WebhookProcessor(daemon)
    sync = SyncRunner(daemon)
    connection = ConnectionActor(daemon)
    templates = TemplateSyncer(daemon)
    daemon.commands.webhooks = webhooks
    daemon.commands.sync = sync
    daemon.commands.connection = connection
    daemon.commands.templates = templates
    return [
        ActorSpec("whatsapp_connection", connection.run),
        ActorSpec("webhook_processor", webhooks.run),
        ActorSpec("sender", Sender(daemon).run),
        ActorSpec("delivery_worker", DeliveryWorker(daemon, daemon.breakers).run),
        ActorSpec("breaker_monitor", BreakerMonitor(daemon, daemon.breakers).run),
        ActorSpec("sync_runner", sync.run),
        ActorSpec("incident_monitor", IncidentMonitor(daemon).run),
        ActorSpec("template_sync", templates.run),
        ActorSpec("retention", Retention(daemon).run),
        ActorSpec("backups", Backups(daemon).run),
        ActorSpec("runtime_alerts", RuntimeAlerts(daemon).run),
    ]


async def run_daemon(
    cfg: Config,
    config_path: Path,
    *,
    clock: Clock | None = None,
    install_signals: bool = True,
    extra_actors: ActorFactory | None = None,
    hooks: DaemonHooks | None = None,
    task_status: trio.TaskStatus[Daemon] = trio.TASK_STATUS_IGNORED,
) -> None:
    hooks = hooks or DaemonHooks()
    if hooks.writes_around_checks and cfg.whatsapp.mode == "enabled":
        raise StartupError(
            'test hooks cannot be enabled while whatsapp.mode = "enabled" (real sends)'
        )
    data_dir = cfg.daemon.data_path
    # A data directory or database that cannot be written refuses the start (StorageFault).
    await trio.to_thread.run_sync(check_writable, data_dir / "recado.db")
    try:
        lock = await trio.to_thread.run_sync(acquire_lock, data_dir)
    except DataDirBusy as exc:
        raise StartupError(str(exc)) from None
    listeners = {
        "public": Listener(
            "public",
            cfg.http.public_listen,
            max_connections=cfg.http.public_max_connections,
            # A second past Quart's body timeout, so a stalled body gets Quart's 408 rather
            # than a silent close.
            limits=connection_limits(cfg, read_timeout_s=cfg.http.public_body_timeout_s + 1),
        ),
        "operator": Listener(
            "operator",
            cfg.http.operator_listen,
            max_connections=cfg.http.operator_max_connections,
            limits=connection_limits(cfg, read_timeout_s=None),
        ),
    }
    try:
        short = ensure_fd_budget(cfg.http.public_max_connections, cfg.http.operator_max_connections)
        if short:
            raise StartupError(short)
        # Both ports before anything is supervised: one in use is a startup error, named,
        # not an HTTP server crash-looping with the daemon never ready.
        for listener in listeners.values():
            try:
                listener.open()
            except BindError as exc:
                raise StartupError(str(exc)) from None
        await _run_opened(
            cfg,
            config_path,
            listeners,
            clock=clock or SystemClock(),
            install_signals=install_signals,
            extra_actors=extra_actors,
            hooks=hooks,
            task_status=task_status,
        )
    finally:
        for listener in listeners.values():
            listener.close()
        # Only the lock holder gets here, so it never removes another daemon's file; and
        # before the lock goes, so it never removes the file of the daemon started next.
        remove_runtime(data_dir)
        lock.release()


async def _run_opened(
    cfg: Config,
    config_path: Path,
    listeners: dict[str, Listener],
    *,
    clock: Clock,
    install_signals: bool,
    extra_actors: ActorFactory | None,
    hooks: DaemonHooks,
    task_status: trio.TaskStatus[Daemon],
) -> None:
    data_dir = cfg.daemon.data_path
    api_key, secret_key = await trio.to_thread.run_sync(_resolve_keys, cfg, data_dir)
    set_secrets(secrets_of(cfg, api_key, secret_key))

    storage = Storage(
        data_dir / "recado.db",
        max_batch=hooks.storage_max_batch or MAX_BATCH,
        now=clock.now,
        connection_factory=hooks.storage_connection or sqlite3.Connection,
    )
    version = await trio.to_thread.run_sync(storage.open_sync)
    log.info("storage_open", path=str(storage.path), schema_version=version)

    supervisor = Supervisor()
    wakeups = Wakeups()
    breakers = BreakerBoard({s.name: s.breaker for s in cfg.services}, storage, clock, wakeups)
    daemon = Daemon(
        config=cfg,
        config_path=config_path,
        storage=storage,
        supervisor=supervisor,
        clock=clock,
        api_key=api_key,
        secret_key=secret_key,
        started_at=clock.now(),
        listeners=listeners,
        wakeups=wakeups,
        breakers=breakers,
        test_hooks=hooks.writes_around_checks,
        flows=flow_table(cfg.flows),
    )
    daemon.kill_switch_override = bool(await storage.read(get_setting, KILL_SWITCH))
    grace = float(cfg.daemon.shutdown_grace_s)
    try:
        async with trio.open_nursery() as root:
            await root.start(supervisor.supervise, "storage", storage.run)
            try:
                await _run_work(daemon, grace, install_signals, extra_actors, hooks, task_status)
            finally:
                # Last: commit whatever is queued, then let the storage actor return.
                with trio.CancelScope(shield=True):
                    await storage.close()
    finally:
        storage.close_files()
        log.info("stopped")


async def _run_work(
    daemon: Daemon,
    grace: float,
    install_signals: bool,
    extra_actors: ActorFactory | None,
    hooks: DaemonHooks,
    task_status: trio.TaskStatus[Daemon],
) -> None:
    sup = daemon.supervisor
    specs = [*domain_actors(daemon), *(extra_actors(daemon) if extra_actors else [])]
    apps = {
        "public": create_public_app(daemon),
        "operator": create_operator_app(daemon),
    }
    if hooks.operator_routes is not None:
        hooks.operator_routes(apps["operator"], daemon)
    # Quart's own bound on the time a whole body may take, on top of hypercorn's per-read
    # timeout: a client dripping a byte at a time would otherwise hold its connection.
    apps["public"].config["BODY_TIMEOUT"] = daemon.config.http.public_body_timeout_s
    async with trio.open_nursery() as work:
        for name, listener in daemon.listeners.items():
            cap = listener.max_connections
            gate = ConnectionGate(name, cap, daemon.metrics, CapAlerts(daemon, name, cap))
            await work.start(
                sup.supervise,
                f"http_{name}",
                serve_http,
                apps[name],
                listener,
                daemon.stopping,
                grace,
                gate,
            )
            log.info("listening", listener=name, url=listener.url)
        async with trio.open_nursery() as actors:
            starts = [Start(s.name, s.fn, s.after or START_AFTER.get(s.name, ())) for s in specs]
            await start_all(sup, actors, starts)
            if install_signals:
                actors.start_soon(_signal_loop, daemon)
            actors.start_soon(
                partial(
                    sdnotify.watchdog_loop,
                    lambda: watchdog(runtime_facts(daemon)).alive,
                    why_unhealthy=lambda: watchdog(runtime_facts(daemon)).why_not,
                )
            )
            await trio.to_thread.run_sync(_write_runtime, daemon)
            daemon.ready = True
            sdnotify.ready()
            log.info(
                "ready",
                public=daemon.listeners["public"].url,
                operator=daemon.listeners["operator"].url,
                mode=daemon.config.whatsapp.mode,
            )
            task_status.started(daemon)
            await daemon.stopping.wait()
            daemon.ready = False
            sdnotify.stopping()
            log.info("stopping", grace_s=grace)
            # Listeners drain on their own (shutdown trigger); everything else in this
            # nursery gets at most the grace period.
            work.cancel_scope.deadline = trio.current_time() + grace
            actors.cancel_scope.cancel()


def connection_limits(cfg: Config, *, read_timeout_s: float | None) -> ConnectionLimits:
    h = cfg.http
    return ConnectionLimits(
        header_timeout_s=h.header_timeout_s,
        keep_alive_s=h.keep_alive_s,
        lifetime_s=h.connection_lifetime_s,
        send_timeout_s=h.send_timeout_s,
        read_timeout_s=read_timeout_s,
    )


def _resolve_keys(cfg: Config, data_dir: Path) -> tuple[str, bytes]:
    try:
        return _keys(cfg, data_dir)
    except LocalKeyError as exc:
        raise StartupError(str(exc)) from None


def _keys(cfg: Config, data_dir: Path) -> tuple[str, bytes]:
    import base64

    api_key = cfg.security.api_key
    if not api_key:
        api_key, created = local_api_key(data_dir)
        if created:
            log.warning(
                "generated_api_key",
                path=str(data_dir / "api_key"),
                hint="set security.api_key_file to use your own key",
            )
    if cfg.security.secret_key:
        secret_key = base64.b64decode(cfg.security.secret_key)
    else:
        secret_key, created = local_secret_key(data_dir)
        if created:
            log.warning(
                "generated_secret_key",
                path=str(data_dir / "secret_key"),
                hint="set security.secret_key_file so backups of the data directory "
                "do not carry the key that encrypts tokens",
            )
    return api_key, secret_key


def _write_runtime(daemon: Daemon) -> None:
    write_runtime(
        daemon.data_dir,
        {
            "pid": os.getpid(),
            "started_at": iso(daemon.started_at),
            "public": daemon.listeners["public"].url,
            "operator": daemon.listeners["operator"].url,
            "config": str(daemon.config_path),
        },
    )


async def _signal_loop(daemon: Daemon) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        async for signum in signals:
            if signum == signal.SIGHUP:
                await reload_config(daemon, source="SIGHUP")
            else:
                log.info("signal", signal=signal.Signals(signum).name)
                daemon.stopping.set()


def run(config_path: Path, *, hooks: DaemonHooks | None = None) -> int:
    """Entry point of ``recado run`` (and, with ``hooks``, of ``recado.testing``'s); returns
    the process exit code."""
    from recado.logs import setup_logging

    setup_logging("info")
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("config_invalid", problem=problem)
        log.error("not_started", reason=f"{len(exc.problems)} problem(s) in {config_path}")
        return 1
    setup_logging(cfg.daemon.log_level, cfg.secret_values())
    log.info("starting", config=str(config_path), pid=os.getpid())
    try:
        trio.run(lambda: run_daemon(cfg, config_path, hooks=hooks))
    except StartupError as exc:
        log.error("not_started", reason=str(exc))
        return 1
    except StorageFault as exc:
        log.error("not_started", reason=exc.detail)
        return 1
    except Exception as exc:
        from recado.storage.migrate import SchemaTooNew

        if isinstance(exc, SchemaTooNew):
            log.error("not_started", reason=str(exc))
            return 1
        log.exception("crashed")
        return 1
    return 0

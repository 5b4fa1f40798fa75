"""Re-reading the config while running: SIGHUP, ``POST /config/reload``, ``recado reload``.

A reload applies only the reloadable keys of the new file (``config.RELOADABLE``); the rest
waits for a restart. What it applies must leave a config the daemon could have started with:
the *effective* config (the running one with those keys taken from the file) goes through the
same checks as a start, so a reload never turns a check off. Turning ``whatsapp.mode`` to
``enabled`` while the app secret that verifies webhook signatures waits for a restart would
accept unsigned webhooks; such a reload is refused whole, nothing applied, with one sentence
that names the keys and says a restart applies them.

A reload never stops the daemon: whatever goes wrong inside it is logged and audited, the
running config stays, and the caller gets a 422 answer saying why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
import trio

from recado.config import Config, ConfigError, flatten, load_config, reload_diff
from recado.config import checks as config_checks
from recado.logs import get_logger, set_level, set_secrets
from recado.redaction import redact
from recado.runtime import sdnotify
from recado.storage.audit import record_audit
from recado.storage.sending import lift_pause_for_new_token

if TYPE_CHECKING:
    from recado.runtime.context import Daemon

__all__ = ["Refused", "Reload", "apply_paths", "plan_reload", "reload_config", "secrets_of"]

log = get_logger("reload")


@dataclass(frozen=True)
class Reload:
    """What a reload would apply: the effective config and the keys it changes."""

    effective: Config
    applied: list[str]
    needs_restart: list[str]


@dataclass(frozen=True)
class Refused:
    """Why nothing is applied: ``error`` is the JSON error code, ``detail`` one sentence."""

    error: str
    detail: str
    problems: list[str]
    needs_restart: list[str]


def plan_reload(running: Config, new: Config, *, test_hooks: bool = False) -> Reload | Refused:
    """Decide what a reload of ``new`` over ``running`` applies, or why it applies nothing."""
    diff = reload_diff(running, new)
    effective = apply_paths(running, new, diff.applied)
    problems = _problems(effective, test_hooks)
    if not problems:
        return Reload(effective, diff.applied, diff.needs_restart)
    # The keys whose new value alone breaks the effective config, to name them; when only a
    # combination does, all of them.
    culprits = [
        key for key in diff.applied if _problems(apply_paths(running, new, [key]), test_hooks)
    ] or diff.applied
    return Refused(
        "reload_refused",
        _sentence(effective, culprits, problems, diff.needs_restart),
        problems,
        diff.needs_restart,
    )


def _problems(cfg: Config, test_hooks: bool) -> list[str]:
    problems = config_checks.check(cfg)
    if test_hooks and cfg.whatsapp.mode == "enabled":
        # The same rule as at start: test hooks write straight into the queue.
        problems.append(
            'whatsapp.mode: "enabled" is not allowed while the daemon runs with --test-hooks '
            "(expected a restart without --test-hooks for real sends)"
        )
    return problems


def _sentence(
    effective: Config, culprits: list[str], problems: list[str], needs_restart: list[str]
) -> str:
    values = flatten(effective)
    changes = _and([f"{key} = {json.dumps(values.get(key))}" for key in culprits])
    needed = list(dict.fromkeys(problem.split(":", 1)[0] for problem in problems))
    if changes and all(_waits_for_restart(key, needs_restart) for key in needed):
        return (
            f"reload refused, nothing applied: {changes} needs {_and(needed)}, which only "
            "take effect after a restart (restart the daemon to apply them)"
        )
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"reload refused, nothing applied: {problems[0]}{more}"


def _and(items: list[str]) -> str:
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _waits_for_restart(key: str, needs_restart: list[str]) -> bool:
    return any(key == r or key.startswith((f"{r}.", f"{r}[")) for r in needs_restart)


def apply_paths(old: Any, new: Any, paths: Sequence[str]) -> Any:
    """``old`` with the values at the dotted ``paths`` taken from ``new``."""
    result = old
    for path in paths:
        result = _replace_path(result, new, path.split("."))
    return result


def _replace_path(old: Any, new: Any, parts: list[str]) -> Any:
    head, rest = parts[0], parts[1:]
    new_value = getattr(new, head)
    if rest:
        new_value = _replace_path(getattr(old, head), new_value, rest)
    return msgspec.structs.replace(old, **{head: new_value})


def secrets_of(cfg: Config, api_key: str, secret_key: bytes) -> list[str]:
    """Every secret the daemon holds, for the redaction of logs and of what peers say."""
    import base64

    return [*cfg.secret_values(), api_key, base64.b64encode(secret_key).decode()]


# -- the reload itself ----------------------------------------------------------------------


async def reload_config(daemon: Daemon, *, source: str) -> dict[str, Any]:
    """Re-read the config file and apply it, or refuse it whole. Never raises (but for
    cancellation): the answer says what happened, with ``error``/``detail`` on refusal."""
    sdnotify.reloading()
    try:
        async with daemon.reload_lock:
            try:
                return await _reload(daemon, source)
            except Exception as exc:
                log.exception("reload_failed", source=source)
                detail = redact(
                    f"reload failed, the running config was kept: {type(exc).__name__}: {exc}"
                )
                refused = Refused("reload_failed", detail, [detail], [])
                _note_refusal(daemon, refused.problems)
                await _audit(daemon, source, "config.reload_failed", _answer(refused))
                return _answer(refused)
    finally:
        sdnotify.ready()


async def _reload(daemon: Daemon, source: str) -> dict[str, Any]:
    try:
        new = await trio.to_thread.run_sync(load_config, daemon.config_path)
    except ConfigError as exc:
        n = len(exc.problems)
        refused = Refused(
            "config_invalid",
            f"reload refused, nothing applied: {daemon.config_path} has {n} problem(s), "
            f"the first: {exc.problems[0]}",
            exc.problems,
            [],
        )
        return await _refuse(daemon, source, refused)
    plan = plan_reload(daemon.config, new, test_hooks=daemon.test_hooks)
    if isinstance(plan, Refused):
        return await _refuse(daemon, source, plan)
    await _apply(daemon, plan)
    _note_refusal(daemon, None)
    log.info(
        "config_reloaded",
        applied=",".join(plan.applied) or "-",
        needs_restart=",".join(plan.needs_restart) or "-",
    )
    for key in plan.needs_restart:
        log.warning("reload_needs_restart", key=key)
    answer = {"applied": plan.applied, "needs_restart": plan.needs_restart, "problems": []}
    await _audit(daemon, source, "config.reload", answer)
    return answer


async def _apply(daemon: Daemon, plan: Reload) -> None:
    """Swap the config in, with what follows from it; undone whole if any step fails."""
    before = daemon.config
    try:
        daemon.config = plan.effective
        set_level(plan.effective.daemon.log_level)
        set_secrets(secrets_of(plan.effective, daemon.api_key, daemon.secret_key))
        await _after_apply(daemon, before)
    except BaseException:
        daemon.config = before
        set_level(before.daemon.log_level)
        set_secrets(secrets_of(before, daemon.api_key, daemon.secret_key))
        raise


async def _after_apply(daemon: Daemon, before: Config) -> None:
    """What a newly applied config sets in motion (``before`` is the config it replaced)."""
    daemon.after_commit("sender")  # the kill switch or the mode may have changed
    if before.whatsapp.access_token != daemon.config.whatsapp.access_token:
        await _new_token(daemon)


async def _new_token(daemon: Daemon) -> None:
    """A new token in ``whatsapp.access_token_file``: a pause Meta's refusal of the old one
    set is over without a restart (the next send proves the new one), and the templates are
    read with it."""
    creds = daemon.whatsapp_credentials()
    if creds is None:
        return
    now = daemon.clock.now()
    if daemon.sending_paused is not None and await daemon.storage.write(
        lift_pause_for_new_token, creds.fingerprint, now
    ):
        daemon.sending_paused = None
        log.info("sending_resumed", reason="access token changed")
    daemon.after_commit("sender", "templates")


async def _refuse(daemon: Daemon, source: str, refused: Refused) -> dict[str, Any]:
    log.error("reload_refused", source=source, reason=refused.detail)
    for problem in refused.problems:
        log.error("reload_problem", problem=problem)
    answer = _answer(refused)
    _note_refusal(daemon, refused.problems)
    await _audit(daemon, source, "config.reload_refused", answer)
    return answer


def _note_refusal(daemon: Daemon, problems: list[str] | None) -> None:
    """The running config was kept (``problems``) or a reload applied (None): the alert and
    the dashboard follow at once."""
    daemon.reload_refused = None if problems is None else [redact(p) for p in problems]
    daemon.wakeups.alerts.poke()


def _answer(refused: Refused) -> dict[str, Any]:
    return {
        "error": refused.error,
        "detail": refused.detail,
        "applied": [],
        "needs_restart": refused.needs_restart,
        "problems": refused.problems,
    }


async def _audit(daemon: Daemon, source: str, action: str, detail: dict[str, Any]) -> None:
    try:
        await daemon.storage.write(
            record_audit,
            daemon.clock.now(),
            action,
            str(daemon.config_path),
            "",
            source,
            detail,
        )
    except Exception:
        # The reload itself is settled; a storage fault must not turn it into a failure.
        log.exception("reload_not_audited", action=action)

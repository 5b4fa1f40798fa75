"""Whether a due job goes out now, waits, or is skipped, and to whom (CONTRACT §5).

Order of the rules: sending paused (auth broken) and the kill switch make jobs wait — they
are not failed, they go out when the operator fixes it. ``disabled`` mode skips. A
cancellation notice needs the 24 h window open (else ``window_closed`` or ``no_inbound``).
In ``enabled`` mode the allowlist and the test recipient apply; in ``dry_run`` nothing leaves
and the job still runs the whole pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from recado.rules.window import WindowState

FREE_FORM_KINDS = ("appointment_canceled", "button_reply", "contingency_reply")


@dataclass(frozen=True)
class Proceed:
    to: str
    dry_run: bool
    redirected_from: str | None = None


@dataclass(frozen=True)
class Wait:
    reason: str  # kill_switch | sending_paused


@dataclass(frozen=True)
class Skip:
    reason: str  # mode_disabled | not_allowlisted | window_closed | no_inbound


Decision = Proceed | Wait | Skip


def decide(
    *,
    kind: str,
    to: str,
    mode: str,
    kill_switch: bool,
    sending_paused: bool,
    allowlist: list[str],
    test_recipient: str,
    window: WindowState | None,
) -> Decision:
    if sending_paused:
        return Wait("sending_paused")
    if kill_switch:
        return Wait("kill_switch")
    if mode == "disabled":
        return Skip("mode_disabled")
    if kind in FREE_FORM_KINDS and window is not None and not window.open:
        return Skip(window.reason)
    if mode == "dry_run":
        return Proceed(to, dry_run=True)
    if test_recipient:
        return Proceed(test_recipient, dry_run=False, redirected_from=to)
    if allowlist and to not in allowlist:
        return Skip("not_allowlisted")
    return Proceed(to, dry_run=False)

"""Webhook bodies with poison in any position: real-format changes of every kind
(``recado.testing.webhook_bodies``) with arbitrary JSON values put at any of their paths,
whole entries replaced by anything, and the valid JSON msgspec cannot decode (integers of
thousands of digits, ``1e400``, lone surrogates) — beside good messages whose wamids a test
checks were applied.

The body is written as text, not by ``json.dumps``: Python refuses to write an integer of
5000 digits and writes ``Infinity`` (not JSON) for an overflowing float, so those values go
in as placeholders replaced in the text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from recado.testing import webhook_bodies as wb

T0 = 1767225600

# Raw JSON tokens no encoder of ours writes, each valid JSON.
RAW_TOKENS = {
    "@@HUGE@@": "9" * 5000,
    "@@NEGHUGE@@": "-" + "1" * 30,
    "@@OVER64@@": str(2**64 + 7),
    "@@INF@@": "1e400",
    "@@NEGINF@@": "-1e999",
    "@@TINY@@": "1e-400",
    "@@SURROGATE@@": '"\\ud800"',
    "@@SURROGATE_TAIL@@": '"ok \\udfff"',
}


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**63, -(2**63) - 1, 10**17, 0, -1, 4102444000])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["²", "١٢٣", "", " ", "button_reply", "interactive", "text", "messages"])
    | st.sampled_from(sorted(RAW_TOKENS))
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)

# One of every kind of change the parser reads, each in its full real shape.
TEMPLATES: list[Callable[[], dict[str, Any]]] = [
    lambda: wb.inbound_text("oi", ts=T0),
    lambda: wb.inbound_button("CONFIRM:apt-x", "Confirmar", ts=T0),
    lambda: wb.inbound_interactive("TALK:apt-x", "Falar", ts=T0),
    lambda: wb.inbound_interactive("r1", "Opção", kind="list_reply", ts=T0),
    lambda: wb.inbound_media("image", ts=T0),
    lambda: wb.inbound_media("document", ts=T0),
    lambda: wb.inbound_reaction("wamid.X", ts=T0),
    lambda: wb.inbound_location(ts=T0),
    lambda: wb.inbound_contacts(ts=T0),
    lambda: wb.inbound_order(ts=T0),
    lambda: wb.inbound_system(ts=T0),
    lambda: wb.inbound_unsupported(ts=T0),
    lambda: wb.status(wb.wamid("ST"), "sent", ts=T0),
    lambda: wb.status(wb.wamid("ST"), "failed", ts=T0, errors=[{"code": 131047}]),
    lambda: wb.value_errors(),
    lambda: wb.echo("já vou", ts=T0),
    lambda: wb.history_chunk(),
    lambda: wb.history_media_followup(),
    lambda: wb.history_declined(),
    lambda: wb.state_sync(),
    lambda: wb.template_status(),
    lambda: wb.quality_update(),
    lambda: wb.unknown_field(),
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position inside ``value`` (keys and indexes from the root), the root excluded."""
    out: list[tuple[Any, ...]] = []
    if not isinstance(value, dict | list):
        return out
    children = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in children:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


def put(root: Any, path: tuple[Any, ...], value: Any) -> None:
    node = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@dataclass
class PoisonBody:
    raw: bytes
    good_wamids: list[str]
    poison: list[Any]  # what was put where, for the failure message


@st.composite
def poisoned_changes(draw: st.DrawFn) -> tuple[dict[str, Any], list[Any]]:
    """One change of any kind with arbitrary values at one to three of its positions."""
    change = draw(st.sampled_from(TEMPLATES))()
    put_where: list[Any] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = paths(change)
        if not where:
            break
        path = draw(st.sampled_from(where))
        value = draw(json_values)
        put(change, path, value)
        put_where.append((path, value))
    return change, put_where


@st.composite
def poisoned_bodies(draw: st.DrawFn, tag: str = "GOOD", entries: bool = True) -> PoisonBody:
    """A body whose good messages (one per entry, and one after each poisoned change in
    the same entry) must all apply, whatever the poison around them. With ``entries``, the
    entries and the change lists themselves may be poisoned too."""
    good: list[str] = []

    def good_change() -> dict[str, Any]:
        wamid = wb.wamid(tag)
        good.append(wamid)
        return wb.inbound_text(f"bom dia {wamid}", id=wamid, ts=T0 + len(good))

    entries: list[Any] = []
    poison: list[Any] = []
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        changes: list[Any] = [good_change()]
        for _ in range(draw(st.integers(min_value=1, max_value=2))):
            change, where = draw(poisoned_changes())
            changes.extend([change, good_change()])
            poison.append(where)
        if entries and draw(st.booleans()):
            # A change that is not a change at all, anywhere in the list.
            changes.insert(draw(st.integers(0, len(changes))), draw(json_values))
        entries.append({"id": wb.WABA_ID, "changes": changes})
    if entries and draw(st.booleans()):
        # An entry that is anything but an entry.
        bad_entry = draw(json_values | st.fixed_dictionaries({"changes": json_values}))
        entries.insert(draw(st.integers(0, len(entries))), bad_entry)
        poison.append(("entry", bad_entry))
    body = {"object": "whatsapp_business_account", "entry": entries}
    return PoisonBody(encode(body), good, poison)


def encode(body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    for placeholder, token in RAW_TOKENS.items():
        text = text.replace(json.dumps(placeholder), token)
    return text.encode("utf-8", "surrogatepass")

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from recado.testing import webhook_bodies as wb
from recado.whatsapp.webhook_parse import (
    BadItem,
    EchoMessage,
    Envelope,
    EnvelopeError,
    HistoryChunk,
    InboundMessage,
    OtherField,
    StateSync,
    StatusUpdate,
    TemplateStatus,
    ValueErrors,
    check_envelope,
    parse_body,
)
from tests.webhook_poison import PoisonBody, poisoned_bodies

# Meta's timestamps are unix seconds of today's decades; parse_body refuses others.
T0 = 1767225600


def _items(*changes: dict[str, Any]) -> list[Any]:
    raw = wb.encode(wb.envelope(list(changes)))
    assert isinstance(check_envelope(raw), Envelope)
    return parse_body(raw).items


def test_envelope_lists_fields() -> None:
    raw = wb.encode(wb.envelope([wb.inbound_text(), wb.echo(), wb.template_status()]))
    envelope = check_envelope(raw)
    assert isinstance(envelope, Envelope)
    assert envelope.fields == {"messages", "smb_message_echoes", "message_template_status_update"}


def test_envelope_errors() -> None:
    cases = {
        b"": "invalid_json",
        b"\xff\xfe": "invalid_json",
        b"null": "invalid_json",
        b'{"object": "instagram", "entry": [{"changes": []}]}': "wrong_object",
        b'{"object": "whatsapp_business_account", "entry": []}': "missing_entry",
        b'{"object": "whatsapp_business_account", "entry": 1}': "missing_entry",
        b'{"object": "whatsapp_business_account", "entry": [NaN]}': "invalid_json",
        b'{"object": "whatsapp_business_account", "entry": [1,]}': "invalid_json",
    }
    for raw, code in cases.items():
        result = check_envelope(raw)
        assert isinstance(result, EnvelopeError) and result.code == code, raw


def test_the_envelope_decides_only_that_it_is_a_whatsapp_body() -> None:
    """What is inside the entries is the parser's business: a malformed entry, or valid
    JSON msgspec cannot decode, makes BadItems there and the good items still apply."""
    good = json.dumps(wb.inbound_text("oi", id="wamid.OK", ts=T0))
    inside = [
        '"x"',
        "1",
        "null",
        '{"changes": 1}',
        '{"changes": ["x"]}',
        '{"id": 1e400, "changes": [{"field": "x", "value": {"a": -1e400}}]}',
        '{"changes": [{"field": "messages", "value": {"messages": [{"id": "a", "from": '
        '"1", "timestamp": ' + "9" * 5000 + "}]}}]}",
        '{"changes": [{"field": "messages", "value": {"messages": [{"id": "\\ud800", '
        '"from": "1", "timestamp": "1767225600", "type": "text"}]}}]}',
    ]
    for entry in inside:
        raw = (
            '{"object": "whatsapp_business_account", "entry": ['
            + entry
            + ', {"changes": ['
            + good
            + "]}]}"
        ).encode()
        assert isinstance(check_envelope(raw), Envelope), entry
        items = parse_body(raw).items
        assert [i.wamid for i in items if isinstance(i, InboundMessage)] == ["wamid.OK"], entry
        assert any(isinstance(i, BadItem) for i in items), entry


@settings(max_examples=400, deadline=None)
@given(poisoned_bodies(entries=False))
def test_any_value_in_any_position_of_an_item_makes_that_item_alone_a_bad_item(
    body: PoisonBody,
) -> None:
    items = parse_body(body.raw).items
    good = [i.wamid for i in items if isinstance(i, InboundMessage) and "GOOD" in i.wamid]
    assert good == body.good_wamids, body.poison


@settings(max_examples=400, deadline=None)
@given(poisoned_bodies())
def test_poison_in_any_position_never_fails_a_body_nor_drops_a_good_item(
    body: PoisonBody,
) -> None:
    assert isinstance(check_envelope(body.raw), Envelope), body.poison
    items = parse_body(body.raw).items
    good = [i.wamid for i in items if isinstance(i, InboundMessage) and "GOOD" in i.wamid]
    assert good == body.good_wamids, body.poison
    # Whatever was set aside says where and why, and can be stored as it came.
    for item in items:
        if isinstance(item, BadItem):
            assert item.path and item.problem
            json.loads(item.raw_json)


def test_inbound_button_and_interactive_share_reply_fields() -> None:
    button, interactive = _items(
        wb.inbound_button("RESCHEDULE:a1", "Reagendar", context_id="wamid.T", ts=T0 + 10, id="w1"),
        wb.inbound_interactive("opt", "Sim", ts=T0 + 11, id="w2"),
    )
    assert isinstance(button, InboundMessage)
    assert (button.reply_payload, button.reply_title, button.context_id, button.timestamp) == (
        "RESCHEDULE:a1",
        "Reagendar",
        "wamid.T",
        T0 + 10,
    )
    assert (interactive.reply_payload, interactive.reply_title) == ("opt", "Sim")
    assert button.profile_name == "Ana" and button.phone_number_id == wb.PHONE_NUMBER_ID
    assert button.waba_id == wb.WABA_ID


def test_status_with_everything() -> None:
    error = wb.graph_error(131026, "Message undeliverable", "not on WhatsApp")
    sent, failed = _items(
        wb.status("wamid.A", "sent", ts=T0 + 100, callback_data="job-9"),
        wb.status("wamid.A", "failed", ts=T0 + 101, errors=[error]),
    )
    assert isinstance(sent, StatusUpdate)
    assert (
        sent.callback_data,
        sent.conversation_id,
        sent.conversation_expires_at,
        sent.conversation_origin,
    ) == ("job-9", "c0ffee12", T0 + 100 + 86400, "utility")
    assert json.loads(sent.pricing_json or "{}")["category"] == "utility"
    assert failed.errors[0].code == 131026 and failed.errors[0].details == "not on WhatsApp"


def test_coexistence_and_other_fields() -> None:
    items = _items(
        wb.echo("oi", to="5511", ts=T0 + 5, id="e1"),
        wb.history_chunk(),
        wb.history_media_followup(),
        wb.history_declined(),
        wb.state_sync(),
        wb.state_sync(action="remove"),
        wb.template_status("REJECTED"),
        wb.unknown_field("account_update"),
        wb.value_errors(),
    )
    kinds = [type(i) for i in items]
    assert kinds == [
        EchoMessage,
        HistoryChunk,
        HistoryChunk,
        HistoryChunk,
        StateSync,
        StateSync,
        TemplateStatus,
        OtherField,
        ValueErrors,
    ]
    echo, chunk, media, declined, add, remove = items[:6]
    assert (echo.wa_id, echo.text_body, echo.timestamp) == ("5511", "oi", T0 + 5)
    assert (chunk.phase, chunk.chunk_order, chunk.progress, chunk.message_count) == (1, 1, 50, 2)
    assert media.message_count == 1 and declined.error_code == 2593109
    assert add.wa_id == "5511987654321" and add.summary == "add Ana Souza +5511987654321"
    assert remove.action == "remove"
    assert items[6].event == "REJECTED"


def test_a_bad_item_does_not_hide_its_neighbours() -> None:
    broken = wb.inbound_text()
    broken["value"]["messages"][0]["timestamp"] = "yesterday"
    items = _items(broken, wb.inbound_text(id="ok"))
    assert isinstance(items[0], BadItem)
    assert items[0].path == "entry[0].changes[0].value.messages[0].timestamp"
    assert items[0].problem == "not an integer: 'yesterday'"
    assert isinstance(items[1], InboundMessage) and items[1].wamid == "ok"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    [
        "messages",
        "smb_message_echoes",
        "history",
        "smb_app_state_sync",
        "message_template_status_update",
        "x",
    ]
)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(raw: bytes) -> None:
    check_envelope(raw)
    parse_body(raw)


@settings(max_examples=300)
@given(json_values)
def test_random_json_never_raises(value: Any) -> None:
    raw = json.dumps(value).encode()
    check_envelope(raw)
    parse_body(raw)


@settings(max_examples=300)
@given(st.lists(st.fixed_dictionaries({"field": field_names, "value": json_values}), max_size=3))
def test_random_changes_in_a_valid_envelope_never_raise(changes: list[dict[str, Any]]) -> None:
    raw = json.dumps(wb.envelope(changes)).encode()
    assert isinstance(check_envelope(raw), Envelope)
    for item in parse_body(raw).items:
        assert item is not None

"""The pure readers of what arrives from outside: JSON depth, times and days, parameters,
secrets compared in constant time, phone digits. Each either returns a bounded value or
refuses with a sentence; none raises anything else, whatever the input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.http.params import BadParam, parse_int
from recado.rules.bounds import EARLIEST, LATEST, RANGE_TEXT, SQL_INT_MAX
from recado.rules.constant_time import same_secret
from recado.rules.instants import OutOfRange, parse_day, parse_instant
from recado.rules.json_depth import MAX_DEPTH, depth_ok, nesting_depth
from recado.rules.phone import PhoneError, is_e164, normalize_phone
from recado.rules.voucher import voucher_key, voucher_ok, voucher_sig
from recado.whatsapp.signature import SignatureCheck, verify, verify_token_matches

# Strings full of what a naive scanner trips on: quotes, backslashes, brackets.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/ aé\n\u2028'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=30,
)
# Every code point, and lone surrogates on purpose: hypothesis rarely draws them, and they are
# what makes ``str.encode()`` raise.
any_text = st.text(
    alphabet=st.characters(exclude_categories=()) | st.sampled_from("é²١５ a0"), max_size=30
) | st.builds(
    lambda head, low, tail: head + chr(0xD800 + low) + tail,
    st.text(max_size=5),
    st.integers(0, 0x7FF),
    st.text(max_size=5),
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_depth_of_any_json_is_its_real_depth(value: Any) -> None:
    for raw in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
        assert nesting_depth(raw) == _depth(value)
        assert depth_ok(raw) is (_depth(value) <= MAX_DEPTH)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 990, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_bodies_are_measured_without_recursion(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    raw = (opener * depth + "1" + closer * depth).encode()
    assert nesting_depth(raw) == depth
    assert depth_ok(raw) is (depth <= MAX_DEPTH)
    # Brackets inside a string do not nest.
    assert nesting_depth(b'["' + b"[" * depth + b'\\"]"]') == 1


@given(st.binary(max_size=200))
def test_any_bytes_have_a_depth(raw: bytes) -> None:
    assert nesting_depth(raw) >= 0
    assert isinstance(depth_ok(raw), bool)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-11-24T10:00:00", "the time needs an offset"),
        ("ontem", "expected an RFC 3339 time"),
        ("２０２６-11-24T10:00:00Z", "expected an RFC 3339 time"),
        ("9999-12-31T23:59:59-03:00", f"expected a time {RANGE_TEXT}"),
        ("0001-01-01T00:00:00+03:00", f"expected a time {RANGE_TEXT}"),
        ("2100-01-01T00:00:00Z", f"expected a time {RANGE_TEXT}"),
        ("1999-12-31T23:59:59Z", f"expected a time {RANGE_TEXT}"),
    ],
)
def test_instants_out_of_shape_or_range_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_instant(text)


@given(st.datetimes(timezones=st.just(UTC)))
def test_every_instant_is_bounded_or_refused(dt: datetime) -> None:
    text = dt.isoformat()
    if EARLIEST <= dt < LATEST:
        assert parse_instant(text) == dt
    else:
        with pytest.raises(ValueError, match=re.escape(RANGE_TEXT)):
            parse_instant(text)


@given(any_text)
def test_any_text_is_an_instant_or_a_refusal(text: str) -> None:
    try:
        dt = parse_instant(text)
    except ValueError:
        return
    assert EARLIEST <= dt < LATEST


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "2026-02-30", "20261124", "x"])
def test_days_out_of_shape_or_range_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a day"):
        parse_day(text)


@pytest.mark.parametrize(
    "raw", ["²", "١٢", "５", "-1", "0", "501", " 5", "5 ", "1e3", "0x10", str(10**30), ""]
)
def test_integers_are_ascii_digits_within_bounds(raw: str) -> None:
    with pytest.raises(BadParam, match="limit: expected a whole number from 1 to 500"):
        parse_int("limit", raw, 1, 500)


@given(any_text)
def test_any_text_is_a_64_bit_integer_or_a_refusal(text: str) -> None:
    try:
        n = parse_int("before", text)
    except BadParam:
        return
    assert 1 <= n <= SQL_INT_MAX and text.isascii()


@given(any_text, any_text)
def test_secrets_compare_any_text_without_raising(expected: str, given_text: str) -> None:
    assert same_secret(expected, given_text) is (bool(expected) and expected == given_text)
    assert verify_token_matches(expected, given_text) is same_secret(expected, given_text)


@given(any_text)
def test_a_voucher_signature_of_any_text_is_just_wrong(sig: str) -> None:
    key = voucher_key(b"k" * 32)
    assert voucher_ok(key, "apt-1", sig) is (sig == voucher_sig(key, "apt-1"))


@given(any_text)
def test_a_signature_header_of_any_text_is_never_an_exception(header: str) -> None:
    assert verify("secret", b"{}", "sha256=" + header) in (
        SignatureCheck.malformed,
        SignatureCheck.mismatch,
    )


@pytest.mark.parametrize("raw", ["١١9٨٧٦٥٤٣٢١", "11 ９8765-4321", "+５５ 11 98765-4321"])
def test_phone_numbers_are_ascii_digits(raw: str) -> None:
    with pytest.raises(PhoneError):
        normalize_phone(raw)
    assert not is_e164("+55١١987654321")


@given(
    st.sampled_from([EARLIEST, LATEST]),
    st.integers(-1, 0).map(lambda n: timedelta(microseconds=n)),
    st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)
def test_the_refusal_states_the_very_range_that_is_checked(
    edge: datetime, nudge: timedelta, zone: timezone
) -> None:
    """At either edge, in any offset: accepted exactly when the range the text states (in
    UTC, the upper end excluded) holds it, and the text quotes both ends as checked."""
    moment = (edge + nudge).astimezone(zone)
    ends = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", RANGE_TEXT)
    stated_low, stated_high = (datetime.fromisoformat(e.replace("Z", "+00:00")) for e in ends)
    assert (stated_low, stated_high) == (EARLIEST, LATEST)
    if stated_low <= moment < stated_high:
        assert parse_instant(moment.isoformat()) == moment
    else:
        with pytest.raises(OutOfRange, match=re.escape(RANGE_TEXT)):
            parse_instant(moment.isoformat())


def test_an_instant_on_the_last_local_day_past_utc_midnight_is_refused_as_stated() -> None:
    with pytest.raises(OutOfRange) as info:
        parse_instant("2099-12-31T23:00-03:00")
    assert "2100-01-01T00:00Z" in str(info.value) and "not including" in str(info.value)
    assert "2099-12-31" not in str(info.value)

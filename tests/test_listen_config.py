"""The listening addresses: judged by what binding them does, not by how they are spelled."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recado.config import ConfigError, HttpSection, load_config
from recado.config.listen import check_listen, is_private_host

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _problems(**http: object) -> list[str]:
    problems: list[str] = []
    check_listen(problems.append, HttpSection(**http))  # type: ignore[arg-type]
    return problems


def _addr(host: str, port: int | str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _spellings(ip: IP) -> list[str]:
    """Every way of writing ``ip`` that binds the same address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _spellings(ip.ipv4_mapped)
        return [ip.compressed, ip.exploded]
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}")
    forms = [str(ip), f"::ffff:{ip}", mapped.compressed, mapped.exploded]
    if str(ip) == "127.0.0.1":
        forms += ["localhost", "LocalHost"]
    return forms


DISGUISED_WILDCARDS = [
    "[::ffff:0.0.0.0]:8081",
    "[::ffff:0:0]:8081",
    "[0:0:0:0:0:ffff:0:0]:8081",
    "[::]:8081",
    "[0:0:0:0:0:0:0:0]:8081",
    "0.0.0.0:8081",
    "0:8081",  # a "hostname" the resolver reads as 0.0.0.0
    "0x0:8081",
    "[::ffff:8.8.8.8]:8081",  # IPv4-mapped public address
    "[::ffff:192.0.2.1]:8081",  # documentation range: private to ipaddress, not to us
    "[::ffff:224.0.0.1]:8081",
    "studio.example.com:8081",
]


@pytest.mark.parametrize("address", DISGUISED_WILDCARDS)
def test_an_operator_address_that_is_not_private_is_refused(address: str) -> None:
    problems = _problems(operator_listen=address)
    assert problems == [
        f'http.operator_listen: "{address}" is not a loopback or private address (expected '
        "one, or http.operator_public_ok = true to expose operator pages and actions)"
    ]
    assert _problems(operator_listen=address, operator_public_ok=True) == []


def test_the_refusal_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[http]\noperator_listen = "[::ffff:0.0.0.0]:8081"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert [p.split(":")[0] for p in info.value.problems] == ["http.operator_listen"]


@given(st.ip_addresses())
def test_private_means_not_routable_however_it_is_written(ip: IP) -> None:
    verdicts = {is_private_host(form) for form in _spellings(ip)}
    assert len(verdicts) == 1, _spellings(ip)
    private = verdicts.pop()
    plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
    if plain.is_global or plain.is_unspecified or plain.is_multicast:
        assert not private
    if plain.is_loopback:
        assert private
    if private:
        # Whatever the list says, a private verdict is never an address the internet reaches.
        assert not plain.is_global and not plain.is_unspecified


@given(st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1))
def test_a_name_other_than_localhost_is_not_private(name: str) -> None:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        assert is_private_host(name) == (name.lower() == "localhost")


@given(st.ip_addresses(), st.integers(1, 65535), st.data())
def test_identical_listeners_are_refused_however_they_are_written(
    ip: IP, port: int, data: st.DataObject
) -> None:
    forms = _spellings(ip)
    public = _addr(data.draw(st.sampled_from(forms)), port)
    operator = _addr(
        data.draw(st.sampled_from(forms)), data.draw(st.sampled_from([port, f"0{port}"]))
    )
    problems = _problems(public_listen=public, operator_listen=operator, operator_public_ok=True)
    assert problems == [
        f'http.operator_listen: "{operator}" is the same socket as http.public_listen '
        f'("{public}") (expected another port or address: operator pages must not share the '
        "public listener)"
    ]


@given(st.ip_addresses(), st.data())
def test_port_zero_and_distinct_ports_never_collide(ip: IP, data: st.DataObject) -> None:
    forms = _spellings(ip)
    a, b = data.draw(st.sampled_from(forms)), data.draw(st.sampled_from(forms))
    assert (
        _problems(public_listen=_addr(a, 0), operator_listen=_addr(b, 0), operator_public_ok=True)
        == []
    )
    assert (
        _problems(
            public_listen=_addr(a, 8080), operator_listen=_addr(b, 8081), operator_public_ok=True
        )
        == []
    )


@pytest.mark.parametrize(
    ("public", "operator", "collide"),
    [
        ("0.0.0.0:8080", "127.0.0.1:8080", True),
        ("[::]:8080", "127.0.0.1:8080", True),  # "::" is dual-stack on Linux
        ("[::]:8080", "[::1]:8080", True),
        ("127.0.0.1:8080", "[::ffff:0.0.0.0]:8080", True),
        ("0.0.0.0:8080", "[::1]:8080", False),  # the IPv4 wildcard leaves IPv6 alone
        ("10.0.0.1:8080", "127.0.0.1:8080", False),
    ],
)
def test_a_wildcard_takes_the_port_on_every_address_of_its_family(
    public: str, operator: str, collide: bool
) -> None:
    problems = _problems(public_listen=public, operator_listen=operator, operator_public_ok=True)
    assert bool(problems) == collide, problems


@pytest.mark.parametrize("port", ["²", "８０８１", "٨٠٨١", "-1", "65536", "", "80 "])
def test_a_port_that_is_not_ascii_digits_is_a_named_problem(port: str) -> None:
    address = f"127.0.0.1:{port}"
    assert _problems(operator_listen=address) == [
        f'http.operator_listen: "{address}" is not an address '
        "(expected host:port, e.g. 127.0.0.1:8081)"
    ]

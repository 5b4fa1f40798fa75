"""What the two listening addresses mean: which are private, which are the same socket.

An address is judged by what binding it does, not by how it is spelled: ``[::ffff:0.0.0.0]``
is the IPv4 wildcard, ``localhost`` is 127.0.0.1 (the listener binds it as IPv4), and
``[::]`` or ``0.0.0.0`` listen on every interface, public ones included. Private means an
explicit list of non-routable ranges, not ``ipaddress.is_private``, which also counts the
wildcard's own ``0.0.0.0/8``, documentation ranges and every IPv4-mapped address.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from recado.rules.flows import ParseError
from recado.rules.host_check import split_host

if TYPE_CHECKING:
    from recado.config.schema import HttpSection

MAX_OPERATOR_HOSTS = 32

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",  # loopback
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT, VPN overlays such as Tailscale
        "169.254.0.0/16",  # link-local
        "::1/128",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
    )
)


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port``."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    # isdigit() alone accepts "²" and other digits int() refuses or reads differently.
    ok = sep and host and port.isascii() and port.isdigit() and 0 <= int(port) <= 65535
    if not ok:
        raise ParseError(f'"{text}" is not host:port')
    return host, int(port)


def bound_ip(host: str) -> IP | None:
    """The address a bind of ``host`` listens on, or None for a name other than localhost."""
    if host.lower() == "localhost":
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_private_host(host: str) -> bool:
    ip = bound_ip(host)
    return ip is not None and any(ip.version == n.version and ip in n for n in PRIVATE_NETWORKS)


def same_socket(a: tuple[str, int], b: tuple[str, int]) -> bool:
    """Whether binding both would collide (port 0 never does: the kernel picks two)."""
    (host_a, port_a), (host_b, port_b) = a, b
    if port_a != port_b or port_a == 0:
        return False
    ip_a, ip_b = bound_ip(host_a), bound_ip(host_b)
    if ip_a is None or ip_b is None:
        return host_a.lower() == host_b.lower()
    if ip_a == ip_b:
        return True
    # A wildcard takes the port on every address of its family; "::" takes IPv4 too
    # (Linux binds it dual-stack by default).
    return any(
        x.is_unspecified and (x.version == 6 or y.version == 4)
        for x, y in ((ip_a, ip_b), (ip_b, ip_a))
    )


def check_listen(add: Callable[[str], None], h: HttpSection) -> None:
    parsed: dict[str, tuple[str, int]] = {}
    for key, value in (
        ("http.public_listen", h.public_listen),
        ("http.operator_listen", h.operator_listen),
    ):
        try:
            parsed[key] = parse_listen(value)
        except ParseError:
            add(f'{key}: "{value}" is not an address (expected host:port, e.g. 127.0.0.1:8081)')
            continue
        host = parsed[key][0]
        if key == "http.operator_listen" and not h.operator_public_ok and not is_private_host(host):
            add(
                f'{key}: "{value}" is not a loopback or private address (expected one, or '
                "http.operator_public_ok = true to expose operator pages and actions)"
            )
    if len(h.operator_hosts) > MAX_OPERATOR_HOSTS:
        add(
            f"http.operator_hosts: {len(h.operator_hosts)} names "
            f"(expected at most {MAX_OPERATOR_HOSTS})"
        )
    for name in h.operator_hosts:
        if split_host(name) is None:
            add(
                f"http.operator_hosts: {json.dumps(name[:80])} is not a host name "
                '(expected "name" or "name:port", e.g. "recado.studio.lan")'
            )
    if len(parsed) == 2 and same_socket(*parsed.values()):
        add(
            f'http.operator_listen: "{h.operator_listen}" is the same socket as '
            f'http.public_listen ("{h.public_listen}") (expected another port or address: '
            "operator pages must not share the public listener)"
        )

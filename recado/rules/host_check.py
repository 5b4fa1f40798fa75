"""Which ``Host`` headers the operator listener answers (docs/reference.md §1.2).

A page of another site can make its own name resolve to this machine (DNS rebinding); the
browser then treats the operator listener as that site, sends its requests with that name
as ``Host`` and lets the page read the answers and post forms whose ``Origin`` matches. A
name we never gave out is therefore refused on every request, pages included.

Accepted: the listener's own address with its port; the loopback names (``localhost``,
``127.0.0.1``, ``[::1]``) with its port; when it listens on a wildcard, any IP literal with its
port (a page cannot be served from an address literal the attacker does not hold); and the
names configured in ``http.operator_hosts`` for a proxy in front, each matched exactly
(``name`` or ``name:port``, letters in any case). A request without ``Host`` (HTTP/1.0) is
accepted: every browser sends one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_DEFAULT_PORT = 80
MAX_HOST = 255
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_V6 = re.compile(r"[0-9a-f:.]+(%[a-z0-9_.-]+)?")


def split_host(value: str) -> tuple[str, int] | None:
    """``(host, port)`` of a Host header (``name``, ``name:port``, ``[v6]:port``), lowercased;
    None when it is not one."""
    text = value.strip().lower()
    if not text or len(text) > MAX_HOST or not text.isascii():
        return None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
        if not _V6.fullmatch(host):
            return None
    else:
        host, sep, port_text = text.partition(":")
        if (sep and not port_text) or not _NAME.fullmatch(host):
            return None
    if not port_text:
        return host, _DEFAULT_PORT
    if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
        return None
    return host, int(port_text)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_wildcard(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_unspecified
    return ip.is_unspecified


def host_problem(header: str | None, bound: str, extra: Iterable[str]) -> str | None:
    """Why ``header`` is not a name of the listener bound at ``bound`` (``host:port`` or
    ``[v6]:port``), or None when it is."""
    if header is None:
        return None
    ours = split_host(bound)
    if ours is None:
        return None
    bound_host, port = ours
    wanted = split_host(header)
    if wanted is not None:
        host, asked_port = wanted
        if asked_port == port and host in (bound_host, *LOOPBACK_NAMES):
            return None
        if asked_port == port and _is_wildcard(bound_host) and _is_ip_literal(host):
            return None
        for name in extra:
            named = split_host(name)
            explicit_port = ":" in name.rsplit("]", 1)[-1]
            if named is not None and named[0] == host:
                if not explicit_port and header.strip().lower() == host:
                    return None
                if explicit_port and named[1] == asked_port:
                    return None
    shown = header if len(header) <= 80 else header[:77] + "..."
    return (
        f'Host "{shown}" is not a name of this listener (expected {bound} or a loopback name '
        "with its port; a proxy's name goes in http.operator_hosts)"
    )

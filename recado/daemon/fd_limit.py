"""Enough file descriptors for both connection caps, or a clear refusal to start.

Every open connection is a descriptor, and so are the database, its WAL, outbound HTTP
connections and backups. With the caps at their defaults the usual soft limit of 1,024 is
enough; larger caps need more, which a process may take up to its hard limit (systemd's
``LimitNOFILE=`` sets both). A cap the hard limit cannot hold would let a connection flood
starve the daemon of descriptors, the very failure the caps exist to prevent.
"""

from __future__ import annotations

import resource

# Descriptors the daemon needs besides its listeners' connections.
RESERVE = 512


def ensure_fd_budget(public_cap: int, operator_cap: int) -> str | None:
    """Raise the soft RLIMIT_NOFILE to what the caps need; the reason if it cannot be."""
    needed = public_cap + operator_cap + RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    if hard != resource.RLIM_INFINITY and hard < needed:
        return (
            f"http.public_max_connections + http.operator_max_connections ({public_cap} + "
            f"{operator_cap}) need about {needed} open files and this process may open at "
            f"most {hard}; raise LimitNOFILE= (ulimit -n) or lower the caps"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return None

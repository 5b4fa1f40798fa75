"""A wake-up call for an actor that sleeps until there is work: any number of pokes while it
works or sleeps coalesce into one wake-up."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import trio


class Wakeup:
    def __init__(self) -> None:
        self._send, self._recv = trio.open_memory_channel[None](math.inf)

    def poke(self) -> None:
        self._send.send_nowait(None)

    async def wait(self, at_most_s: float = math.inf) -> None:
        """Return on a poke (or after ``at_most_s``), swallowing the pokes queued."""
        with trio.move_on_after(at_most_s):
            await self._recv.receive()
        while True:
            try:
                self._recv.receive_nowait()
            except trio.WouldBlock:
                break


# Who sleeps until there is work, by name: a part that committed work for one of them says
# so by name, and never needs to know which actor (if any) is listening.
Consumer = Literal[
    "sender",
    "deliveries",
    "webhooks",
    "breakers",
    "incidents",
    "connection",
    "templates",
    "alerts",
]


@dataclass(frozen=True)
class Wakeups:
    """One wake-up per consumer, shared through the daemon's context."""

    sender: Wakeup = field(default_factory=Wakeup)
    deliveries: Wakeup = field(default_factory=Wakeup)
    webhooks: Wakeup = field(default_factory=Wakeup)
    breakers: Wakeup = field(default_factory=Wakeup)
    incidents: Wakeup = field(default_factory=Wakeup)
    connection: Wakeup = field(default_factory=Wakeup)
    templates: Wakeup = field(default_factory=Wakeup)
    alerts: Wakeup = field(default_factory=Wakeup)

    def poke(self, *consumers: Consumer) -> None:
        for name in consumers:
            self.of(name).poke()

    def of(self, name: Consumer) -> Wakeup:
        wakeup: Wakeup = getattr(self, name)
        return wakeup

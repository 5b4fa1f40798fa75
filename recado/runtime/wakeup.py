"""A wake-up call for an actor that sleeps until there is work: any number of pokes while it
works or sleeps coalesce into one wake-up."""

from __future__ import annotations

import math

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

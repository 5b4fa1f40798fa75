"""Debian's Chromium as the page tests and the screenshot script start it."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium reaches for Google's hosts at start, which a closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

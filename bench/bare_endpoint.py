"""The baseline for webhook ingest: a quart-trio endpoint served by hypercorn that reads the
body and answers 200, doing nothing else. Prints ``PORT <n>`` once listening."""

from __future__ import annotations

import sys
from functools import partial

import hypercorn.trio
import trio
from hypercorn.config import Config
from quart import Response, request
from quart_trio import QuartTrio

app = QuartTrio("bare")


@app.post("/webhooks/whatsapp")
async def receive() -> Response:
    await request.get_data()
    return Response('{"status":"received"}', status=200, content_type="application/json")


async def main() -> None:
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(partial(hypercorn.trio.serve, app, config))
        print(f"PORT {binds[0].rsplit(':', 1)[1]}", flush=True)


if __name__ == "__main__":
    sys.exit(trio.run(main))

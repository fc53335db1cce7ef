"""Offline demo of lomond.aio: many connections in one process.

    python -m lomond.examples.fanout [--connections N] [--messages M]

Needs Python 3.8 or newer. Starts Lomond's loopback test server, opens N
connections at once with the asyncio driver (one task each, no threads),
has every connection send M messages and wait for their echoes, closes
them all, and reports what it did.
"""

import argparse
import asyncio
import sys
import time
from typing import Dict, List, Optional

from lomond.aio import WebSocket
from lomond.testing import WebSocketServer, echo


async def one_connection(url: str, messages: int, ready: asyncio.Event, report: Dict[str, int]) -> None:
    """Connect, wait for the start signal, exchange ``messages`` echoes,
    close; record the outcome in ``report``."""
    websocket = WebSocket(url)
    echoed = 0
    async for event in websocket.connect(ping_rate=0, poll=0):
        if event.name == "ready":
            report["ready"] += 1
            await ready.wait()  # every connection is open: start
            for number in range(messages):
                await websocket.send_text(u"message {}".format(number))
            if not messages:
                await websocket.close()
        elif event.name == "text":
            echoed += 1
            if echoed == messages:
                await websocket.close()
        elif event.name == "disconnected":
            report["graceful" if event.graceful else "dropped"] += 1
        elif event.name == "connect_fail":
            report["failed"] += 1
    report["echoed"] += echoed


async def fan_out(url: str, connections: int, messages: int) -> bool:
    report = {"ready": 0, "echoed": 0, "graceful": 0, "dropped": 0, "failed": 0}
    ready = asyncio.Event()
    started = time.monotonic()
    tasks = [asyncio.ensure_future(one_connection(url, messages, ready, report)) for _ in range(connections)]
    while report["ready"] + report["failed"] < connections:
        await asyncio.sleep(0.01)
    opened = time.monotonic()
    ready.set()
    await asyncio.gather(*tasks)
    done = time.monotonic()
    print("opened {} connections in {:.2f}s (failed: {})".format(report["ready"], opened - started, report["failed"]))
    total = connections * messages
    print(
        "echoed {} of {} messages in {:.2f}s ({:.0f} messages a second, both ways)".format(
            report["echoed"], total, done - opened, 2 * report["echoed"] / max(done - opened, 1e-9)
        )
    )
    print("closed: {} gracefully, {} dropped".format(report["graceful"], report["dropped"]))
    return report["graceful"] == connections and report["echoed"] == total


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200, help="how many (default %(default)s)")
    parser.add_argument("--messages", type=int, default=10, help="messages per connection (default %(default)s)")
    args = parser.parse_args(argv)
    # The test server runs a thread per connection; Lomond's side runs in
    # this one thread, on one event loop.
    with WebSocketServer(echo, deflate=None) as server:
        succeeded = asyncio.run(fan_out(server.url, args.connections, args.messages))
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())

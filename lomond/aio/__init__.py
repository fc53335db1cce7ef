"""Lomond on asyncio: the same events, over the same sans-IO core, for
programs that hold many connections in one process (Python 3.8 and newer).

::

    from lomond.aio import WebSocket, persist

    websocket = WebSocket("wss://example.org/feed")
    async for event in persist(websocket):
        if event.name == "ready":
            await websocket.send_json(type="subscribe")
        elif event.name == "text":
            print(event.json)
"""

import sys

if sys.version_info < (3, 8):
    raise ImportError(
        "lomond.aio needs Python 3.8 or newer; this is Python {}.{}.{} (use lomond.WebSocket)".format(
            *sys.version_info[:3]
        )
    )

from .persist import persist  # noqa: E402
from .websocket import WebSocket  # noqa: E402

__all__ = ["WebSocket", "persist"]

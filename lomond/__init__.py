"""Lomond: a WebSocket client that stays connected.

Iterate over a :class:`WebSocket` to connect and receive events::

    from lomond import WebSocket

    websocket = WebSocket("wss://example.org/feed")
    for event in websocket:
        if event.name == "ready":
            websocket.send_text("hello")
        elif event.name == "text":
            print(event.text)
"""

import logging

from ._version import __version__
from .websocket import WebSocket

# A library leaves log output to the application (and Python 2.7 would
# otherwise print "No handlers could be found for logger").
logging.getLogger("lomond").addHandler(logging.NullHandler())

__all__ = ["__version__", "WebSocket"]

"""Interoperability with an independent server: the websockets package."""

import pytest

from lomond import WebSocket

from .helpers import names, run
from .peers import WebsocketsServer

pytest.importorskip("websockets.sync.server", reason="websockets is a Python 3 peer")


def exchange(url, messages, **options):
    echoed = []

    def handler(websocket, event):
        if event.name == "ready":
            for message in messages:
                if isinstance(message, bytes):
                    websocket.send_binary(message)
                else:
                    websocket.send_text(message)
        elif event.name in ("text", "binary"):
            echoed.append(event.text if event.name == "text" else event.data)
            if len(echoed) == len(messages):
                websocket.close()

    websocket = WebSocket(url, **options)
    received = run(websocket, handler)
    return websocket, received, echoed


def test_echo_with_websockets():
    messages = [u"plain text", u"\u00fcnicode \u2603", b"\x00binary\xff", u"x" * 100000, b"y" * 70000]
    with WebsocketsServer(compression=None) as server:
        websocket, received, echoed = exchange(server.url, messages)
    assert echoed == messages
    assert names(received)[-2:] == ["closed", "disconnected"]
    assert received[-1].graceful
    assert not websocket.supports_compression

"""Interoperability with an independent server: the websockets package."""

import threading

import pytest

from lomond import WebSocket

from .helpers import names, run

websockets_sync = pytest.importorskip("websockets.sync.server", reason="websockets is a Python 3 peer")


class WebsocketsServer(object):
    """The websockets package's echo server, on a free loopback port."""

    def __init__(self, **options):
        def echo(connection):
            for message in connection:
                connection.send(message)

        self.server = websockets_sync.serve(echo, "127.0.0.1", 0, **options)
        self.port = self.server.socket.getsockname()[1]
        self.url = "ws://127.0.0.1:{}/".format(self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, name="lomond-test-websockets")
        self.thread.daemon = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.thread.join(10)


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

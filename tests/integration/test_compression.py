"""permessage-deflate against independent servers with different settings."""

import json
import random
import threading

import pytest

from lomond import WebSocket
from lomond.compression import PerMessageDeflate
from lomond.testing import ServerDeflate, WebSocketServer, echo

from .helpers import run


def mixed_messages(seed, count=300):
    """Compressible JSON-like text and incompressible random binary."""
    rng = random.Random(seed)
    messages = [u"", b""]
    for index in range(count):
        if index % 2:
            records = [{"id": n, "symbol": "BTC-USD", "price": rng.randint(1, 99999)} for n in range(rng.randint(1, 200))]
            messages.append(json.dumps(records))
        else:
            messages.append(bytes(bytearray(rng.randint(0, 255) for _ in range(rng.randint(1, 3000)))))
    return messages


def echo_all(url, messages, compress):
    echoed = []

    def handler(websocket, event):
        if event.name == "ready":
            assert websocket.supports_compression
            for message in messages:
                if isinstance(message, bytes):
                    websocket.send_binary(message)
                else:
                    websocket.send_text(message)
        elif event.name in ("text", "binary"):
            echoed.append(event.text if event.name == "text" else event.data)
            if len(echoed) == len(messages):
                websocket.close()

    events = run(WebSocket(url, compress=compress), handler)
    assert events[-1].graceful, events[-1]
    return echoed


CLIENT_OPTIONS = [
    True,
    PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
    PerMessageDeflate(server_max_window_bits=10, client_max_window_bits=11, level=9, mem_level=9),
    PerMessageDeflate(level=1, mem_level=1),
]


# -- Lomond's own server (every window size, takeover both ways) ----------------

OWN_SERVER = [
    ServerDeflate(),
    ServerDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
    ServerDeflate(server_max_window_bits=8, client_max_window_bits=8),
    ServerDeflate(server_max_window_bits=9, client_max_window_bits=15),
    ServerDeflate(server_max_window_bits=15, client_max_window_bits=9),
]


@pytest.mark.parametrize("deflate", OWN_SERVER, ids=range(len(OWN_SERVER)))
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=range(len(CLIENT_OPTIONS)))
def test_own_server(deflate, compress):
    messages = mixed_messages(1, count=60)
    with WebSocketServer(echo, deflate=deflate) as server:
        assert echo_all(server.url, messages, compress) == messages


class PlainOnly(ServerDeflate):
    """A strict server that declines every offer with parameters."""

    def negotiate(self, offer_header):
        from lomond.extension import parse_extensions

        plain = [name for name, params in parse_extensions(offer_header) if not params]
        if not plain:
            return None, None
        return super(PlainOnly, self).negotiate(plain[0])


@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=range(len(CLIENT_OPTIONS)))
def test_strict_server_takes_the_fallback_offer(compress):
    messages = mixed_messages(4, count=20)
    with WebSocketServer(echo, deflate=PlainOnly()) as server:
        assert echo_all(server.url, messages, compress) == messages


def test_compression_bomb_is_refused_without_inflating_it():
    import zlib

    from lomond.frame import encode_frame
    from lomond.opcode import Opcode

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(256))  # 256 MiB
    bomb += compressor.flush(zlib.Z_SYNC_FLUSH)[:-4]
    got = {}

    def handler(conn):
        conn.send_raw(encode_frame(Opcode.BINARY, bomb, rsv1=True))
        got["close"] = conn.recv_frame()

    with WebSocketServer(handler) as server:
        events = run(WebSocket(server.url, compress=True, max_size=1024 * 1024))
    errors = [event for event in events if event.name == "protocol_error"]
    assert len(bomb) < 300 * 1024
    assert errors and "limit" in errors[0].error
    assert got["close"].payload[:2] == b"\x03\xf1"  # 1009
    assert not [event for event in events if event.name == "binary"]


# -- The websockets package ------------------------------------------------------

pytest.importorskip("websockets.sync.server", reason="websockets is a Python 3 peer")
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory  # noqa: E402

from .peers import WebsocketsServer  # noqa: E402


WEBSOCKETS_SETTINGS = [
    dict(compression="deflate"),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=8)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=10, require_client_max_window_bits=True)]),
]


@pytest.mark.parametrize("settings", WEBSOCKETS_SETTINGS, ids=range(len(WEBSOCKETS_SETTINGS)))
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=range(len(CLIENT_OPTIONS)))
def test_websockets_server(settings, compress):
    messages = mixed_messages(2)
    with WebsocketsServer(**settings) as server:
        assert echo_all(server.url, messages, compress) == messages


# -- Tornado -----------------------------------------------------------------------

tornado_websocket = pytest.importorskip("tornado.websocket", reason="tornado is a Python 3 peer")


class TornadoServer(object):
    """Tornado's WebSocket server (its own permessage-deflate code)."""

    def __init__(self, compression_options):
        import asyncio

        import tornado.httpserver
        import tornado.netutil
        import tornado.web

        class Echo(tornado_websocket.WebSocketHandler):
            def get_compression_options(self):
                return compression_options

            def on_message(self, message):
                self.write_message(message, binary=isinstance(message, bytes))

        self.loop = asyncio.new_event_loop()
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.url = "ws://127.0.0.1:{}/".format(sockets[0].getsockname()[1])
        self.started = threading.Event()

        def serve():
            asyncio.set_event_loop(self.loop)
            server = tornado.httpserver.HTTPServer(tornado.web.Application([("/", Echo)]))
            server.add_sockets(sockets)
            self.loop.call_soon(self.started.set)
            self.loop.run_forever()
            server.stop()
            self.loop.run_until_complete(server.close_all_connections())
            self.loop.close()

        self.thread = threading.Thread(target=serve, name="lomond-test-tornado")

    def __enter__(self):
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc_info):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.mark.parametrize("options", [{}, {"compression_level": 9, "mem_level": 9}], ids=["default", "level9"])
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=range(len(CLIENT_OPTIONS)))
def test_tornado_server(options, compress):
    messages = mixed_messages(3)
    with TornadoServer(options) as server:
        assert echo_all(server.url, messages, compress) == messages

"""permessage-deflate against independent servers: websockets and Tornado,
each with several settings.

The test extra installs both on Python 3.8+; there a missing one is an
error, not a skip.
"""

import sys
import threading

import pytest

if sys.version_info < (3, 8):
    pytest.skip("websockets and Tornado are peers for Python 3.8+", allow_module_level=True)

from .test_compression import CLIENT_OPTIONS, echo_all, mixed_messages  # noqa: E402

# -- The websockets package ------------------------------------------------------

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory  # noqa: E402

from .peers import WebsocketsServer  # noqa: E402


WEBSOCKETS_SETTINGS = [
    dict(compression="deflate"),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=8)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=10, require_client_max_window_bits=True)]),
]


@pytest.mark.parametrize("settings", WEBSOCKETS_SETTINGS, ids=[str(i) for i in range(len(WEBSOCKETS_SETTINGS))])
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=[str(i) for i in range(len(CLIENT_OPTIONS))])
def test_websockets_server(driver, settings, compress):
    messages = mixed_messages(2)
    with WebsocketsServer(**settings) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


# -- Tornado -----------------------------------------------------------------------

import tornado.websocket as tornado_websocket  # noqa: E402


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
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=[str(i) for i in range(len(CLIENT_OPTIONS))])
def test_tornado_server(driver, options, compress):
    messages = mixed_messages(3)
    with TornadoServer(options) as server:
        assert echo_all(driver, server.url, messages, compress) == messages

"""Independent servers for interoperability tests (Python 3 only)."""

import threading

from .servers import TIMEOUT


class WebsocketsServer(object):
    """The websockets package's echo server, on a free loopback port.

    :param handler: Called with each ``websockets`` connection instead of
        the echo.
    :param options: Passed to ``websockets.sync.server.serve`` (e.g.
        ``compression=None``, ``extensions=[...]``).
    """

    def __init__(self, handler=None, **options):
        from websockets.sync.server import serve

        def echo(connection):
            for message in connection:
                connection.send(message)

        self.server = serve(handler or echo, "127.0.0.1", 0, **options)
        self.url = "ws://127.0.0.1:{}/".format(self.server.socket.getsockname()[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="lomond-test-websockets")
        self.thread.daemon = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.thread.join(TIMEOUT)

"""Independent servers for interoperability tests (Python 3.8+): the
websockets package, Tornado and aiohttp in this process, and the node.js
``ws`` package's server in a child process.

Each is an echo server on 127.0.0.1, on a port the system picks, used as
a context manager; ``url`` is where it listens.
"""

import json
import os
import shutil
import subprocess
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


class LoopThread(object):
    """An asyncio event loop in a thread of its own, for a server made by
    ``start(loop)`` (a coroutine function that returns the URL and a
    coroutine function that stops the server)."""

    def __init__(self, start, name):
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.url, self._stop = self.loop.run_until_complete(start(self.loop))
        self.thread = threading.Thread(target=self.loop.run_forever, name=name)
        self.thread.daemon = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        import asyncio

        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


def TornadoServer(compression_options=None):
    """Tornado's WebSocket echo server (its own permessage-deflate code).

    :param dict compression_options: Tornado's; None for no compression.
    """
    import tornado.httpserver
    import tornado.netutil
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def get_compression_options(self):
            return compression_options

        def on_message(self, message):
            self.write_message(message, binary=isinstance(message, bytes))

    async def start(loop):
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(tornado.web.Application([("/", Echo)]))
        server.add_sockets(sockets)

        async def stop():
            server.stop()
            await server.close_all_connections()

        return "ws://127.0.0.1:{}/".format(sockets[0].getsockname()[1]), stop

    return LoopThread(start, "lomond-test-tornado")


def AiohttpServer(compress=True):
    """aiohttp's WebSocket echo server (``aiohttp.web.WebSocketResponse``).

    :param bool compress: Accept a permessage-deflate offer.
    """
    from aiohttp import WSMsgType, web

    async def echo(request):
        response = web.WebSocketResponse(compress=compress)
        await response.prepare(request)
        async for message in response:
            if message.type == WSMsgType.TEXT:
                await response.send_str(message.data)
            elif message.type == WSMsgType.BINARY:
                await response.send_bytes(message.data)
        return response

    async def start(loop):
        application = web.Application()
        application.router.add_get("/", echo)
        runner = web.AppRunner(application)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return "ws://127.0.0.1:{}/".format(port), runner.cleanup

    return LoopThread(start, "lomond-test-aiohttp")


# -- node.js -----------------------------------------------------------------

NODE_PEER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers", "node")

#: What installs the node peer (from the repository's root).
NODE_INSTALL = "npm ci --prefix tests/peers/node --no-audit --no-fund"


_INSTALL_TRIED = []


def _node_peer_installed():
    return os.path.isfile(os.path.join(NODE_PEER, "node_modules", "ws", "package.json"))


def _install_node_peer():
    """Install the node peer once per run, as the test extra does for the
    Python peers (npm and the npm registry are needed). True if it is
    there afterwards."""
    if not _INSTALL_TRIED and shutil.which("npm") is not None:
        _INSTALL_TRIED.append(True)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            subprocess.run(NODE_INSTALL.split(), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT * 12)
        except (OSError, subprocess.SubprocessError):
            pass
    return _node_peer_installed()


def node_peer_missing():
    """Why the node peer can't run, or None if it can.

    Where node is installed and the peer isn't, it is installed first
    (``NODE_INSTALL``).

    :returns: ``("no node", reason)`` when node isn't on PATH (the tests
        are skipped: a machine without node can't run them);
        ``("not installed", message)`` when node is there and the ``ws``
        package couldn't be installed (the tests fail, saying what to run).
    """
    if shutil.which("node") is None:
        return "no node", "node is not on PATH: the node.js ws peer can't run here"
    if not _node_peer_installed() and not _install_node_peer():
        return "not installed", (
            "node is installed but the node.js ws peer is not, and installing it failed: run\n\n    {}\n\n"
            "from the repository's root (it installs the ws version pinned in "
            "tests/peers/node/package-lock.json)".format(NODE_INSTALL)
        )
    return None


class NodeServer(object):
    """The node.js ws package's echo server, in a child process.

    :param options: ws's WebSocketServer options, e.g.
        ``perMessageDeflate=False`` or ``perMessageDeflate={...}``.
    """

    def __init__(self, **options):
        self.process = subprocess.Popen(
            ["node", os.path.join(NODE_PEER, "server.js"), json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=NODE_PEER,
        )
        # It prints "port N" once it listens (or dies, ending stdout).
        timer = threading.Timer(TIMEOUT, self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline().decode("ascii", "replace")
        finally:
            timer.cancel()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError("the node ws server did not start (it said {!r})".format(line))
        self.url = "ws://127.0.0.1:{}/".format(int(line.split()[1]))

    def stop(self):
        """Close its standard input (it exits then); kill it if it
        doesn't within TIMEOUT."""
        process = self.process
        process.stdin.close()
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


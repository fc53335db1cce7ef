"""The pproxy package's proxy server, for the tests.

It listens on 127.0.0.1 port 0 and counts the tunnels it opens, as
``lomond.testing.ConnectProxy`` (our own) does, so a test can tell whether
its connection really went through the proxy.
"""

import threading

from .servers import TIMEOUT


def _keep_tasks(loop):
    """Hold every task started on ``loop`` until it is done.

    pproxy starts each tunnel's two relays with ``asyncio.ensure_future``
    and keeps no reference to them; asyncio holds tasks weakly, and a relay
    waiting to read is otherwise only in a reference cycle with its stream
    reader. A garbage collection at that moment destroys both relays
    ("Task was destroyed but it is pending!"): the tunnel then neither
    carries data nor closes, and the client waits for an answer that never
    comes. Seen as rare stalls of the proxy tests, and at once with a
    thread calling gc.collect() in a loop.
    """
    import asyncio

    tasks = set()

    def factory(loop, coro, **options):
        task = asyncio.Task(coro, loop=loop, **options)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    loop.set_task_factory(factory)


class PProxy(object):
    """The pproxy package's server, in this process, on a free port.

    :param str schemes: e.g. ``'http+socks4+socks5'`` or ``'http+ssl'``.
    :param tuple credentials: ``(user, password)`` to require, or None.
    :param ssl.SSLContext ssl_context: For a TLS listener.
    """

    def __init__(self, schemes="http+socks4+socks5", credentials=None, ssl_context=None):
        import asyncio

        import pproxy

        self.tunnels = []
        auth = "" if credentials is None else "#{}:{}".format(*credentials)
        self.loop = asyncio.new_event_loop()
        _keep_tasks(self.loop)
        server = pproxy.Server("{}://127.0.0.1:0/{}".format(schemes, auth))
        if ssl_context is not None:
            server.sslserver = ssl_context

        def verbose(text):
            if "->" in str(text):
                self.tunnels.append(str(text))

        self._server = self.loop.run_until_complete(
            # authtime 0: pproxy otherwise trusts an address that once
            # authenticated, for 30 days, across servers in this process.
            server.start_server({"rserver": [], "verbose": verbose, "authtime": 0})
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self.loop.run_forever, name="lomond-test-pproxy")
        self._thread.daemon = True
        self._thread.start()

    def url(self, scheme="http", user=None, password=None):
        userinfo = "" if user is None else "{}:{}@".format(user, password)
        return "{}://{}127.0.0.1:{}".format(scheme, userinfo, self.port)

    def stop(self):
        """Stop listening, end the open tunnels and close the loop.

        The tunnels' tasks are cancelled and run to their end before the
        loop is closed: left pending, they would be collected later and
        complain that their loop is closed.
        """
        import asyncio

        loop = self.loop

        def shutdown():
            self._server.close()
            loop.stop()

        loop.call_soon_threadsafe(shutdown)
        self._thread.join(TIMEOUT)
        if self._thread.is_alive():
            return  # not ours to close while it runs; the test will fail
        all_tasks = getattr(asyncio, "all_tasks", None) or asyncio.Task.all_tasks  # 3.6
        tasks = [task for task in all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.wait(tasks, timeout=TIMEOUT))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

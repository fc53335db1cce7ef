"""The asyncio WebSocket: the same events, iterated with ``async for``.

Everything but the moving of bytes and the waiting is shared with the
blocking :class:`lomond.websocket.WebSocket`: the options and properties
(:mod:`lomond.client`), the course of a connect() (:mod:`lomond.attempt`),
the route and TLS policy, the tunnels and the session.
"""

import asyncio
import logging
import weakref

from ..attempt import Attempt
from ..clock import wall_time
from ..client import WebSocketBase
from ..controls import Cancelled
from ..entropy import RandomPool
from ..errors import ConnectFail, TransportFail, WebSocketUnavailable
from ..options import ConnectOptions, earliest
from ..session import WebsocketSession
from ..status import Status, check_close_code
from ..websocket import json_text
from .opener import open_link

log = logging.getLogger("lomond")


#: One receive buffer per event loop, shared by all its connections.
_RECEIVE_BUFFERS = weakref.WeakKeyDictionary()

#: Its size: what one read may take.
RECEIVE_BUFFER_SIZE = 256 * 1024


def shared_receive_buffer(loop):
    """The receive buffer the connections of ``loop`` share: a read goes
    into it and is parsed at once, so an idle connection holds none."""
    buffer = _RECEIVE_BUFFERS.get(loop)
    if buffer is None:
        buffer = _RECEIVE_BUFFERS[loop] = bytearray(RECEIVE_BUFFER_SIZE)
    return buffer


#: One source of masking keys per event loop (its connections share it).
_RANDOM_POOLS = weakref.WeakKeyDictionary()


def shared_random_pool(loop):
    """Masking keys for the connections of ``loop``, from one pool."""
    pool = _RANDOM_POOLS.get(loop)
    if pool is None:
        pool = _RANDOM_POOLS[loop] = RandomPool()
    return pool


class Run(object):
    """One connect() of an asyncio WebSocket: what its coroutines share."""

    __slots__ = [
        "websocket",
        "options",
        "loop",
        "attempt",
        "controls",
        "random_bytes",
        "link",
        "proxy_url",
        "_stopped",
        "_exit_watch",
    ]

    def __init__(self, websocket, options, loop):
        self.websocket = websocket
        self.options = options
        self.loop = loop
        self.attempt = Attempt(websocket, options, wall_time)
        self.controls = self.attempt.controls
        self.random_bytes = shared_random_pool(loop)
        #: The current hop's Link, once opened.
        self.link = None
        #: The (credential-free) URL of the current hop's proxy, or None.
        self.proxy_url = None
        self._stopped = None  # wakes an opening step
        self._exit_watch = None
        if options.exit_event is not None:
            self._exit_watch = loop.create_task(self._watch_exit(options.exit_event))

    @property
    def session(self):
        return None if self.link is None else self.link.session

    @property
    def phase(self):
        return self.attempt.phase

    # -- The caller's controls -------------------------------------------

    def _wake(self):
        stopped = self._stopped
        if stopped is not None and not stopped.done():
            stopped.set_result(None)

    def force(self):
        self.controls.force()
        link = self.link
        if link is not None:
            link.abort("disconnected; forced by the application", "data not sent: force_disconnect() was called")
        self._wake()

    def close(self, code, reason):
        now = self.loop.time()
        if not self.attempt.is_ready:
            self.controls.request_close(code, reason, now)
        link = self.link
        if link is not None and not link.session.is_finished:
            link.session.close(code, reason, now=now)
            link.touch()
            link.wake_drain()  # its wait is now bounded by the close timeout
        self._wake()
        self.websocket.emit_trace("close_requested", code=code)

    async def _watch_exit(self, exit_event):
        await exit_event.wait()
        self.controls.exit_requested()
        self._wake()
        if self.link is not None:
            self.link.exit()

    # -- Opening ------------------------------------------------------------

    async def step(self, awaitable, deadline, timed_out):
        """Await one opening step, bounded by ``deadline`` and stopped by
        the caller's controls.

        :raises lomond.controls.Cancelled: When the caller stops it.
        """
        loop = self.loop
        controls = self.controls
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                now = loop.time()
                controls.check(now)
                if now >= deadline:
                    raise timed_out()
                stopped = self._stopped = loop.create_future()
                until = earliest(deadline, controls.close_deadline)
                await asyncio.wait([task, stopped], timeout=max(0.0, until - now), return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    return task.result()
        finally:
            self._stopped = None
            if not task.done():
                task.cancel()
                await asyncio.wait([task])  # it closes what it opened

    async def open(self, session_class, deadline):
        """Open the current hop (raises ConnectFail or Cancelled)."""
        attempt = self.attempt
        self.controls.check(self.loop.time())
        route = attempt.route()
        self.proxy_url = route.proxy_url
        session = attempt.new_session(
            session_class, self.random_bytes, self.loop.time(), deadline, shared_receive_buffer(self.loop)
        )
        self.link = await open_link(self, route, session, deadline)
        return self.link

    def end_hop(self, link):
        """After a hop: if the iteration was left early (or its task
        cancelled), say goodbye (a close frame, code 1001, not waiting for
        the answer) and end the session; the socket closes at once."""
        if not link.session.is_finished:
            log.info("the event loop was left early: sent a close (1001) and dropped the connection")
            link.leave()

    def finish(self):
        self.attempt.phase = "closed"
        if self._exit_watch is not None:
            self._exit_watch.cancel()


class WebSocket(WebSocketBase):
    """A WebSocket client connection on asyncio.

    It takes every option of :class:`lomond.websocket.WebSocket`; nothing
    happens until you iterate over it (``async for event in websocket``)
    or over :meth:`connect`.
    """

    def connect(
        self,
        session_class=WebsocketSession,
        poll=5.0,
        ping_rate=30.0,
        ping_timeout=None,
        auto_pong=True,
        close_timeout=30.0,
        connect_timeout=30.0,
        send_timeout=30.0,
        exit_event=None,
    ):
        """Connect, and return an asynchronous generator of events.

        The options are those of :meth:`lomond.websocket.WebSocket.connect`;
        ``exit_event`` is an ``asyncio.Event``. The generator ends after
        exactly one final event (ConnectFail, or Disconnected once a
        connection was made). Cancelling the task that iterates, or
        closing the generator (``await events.aclose()``, or
        ``contextlib.aclosing``), closes the socket at once.

        :raises ValueError: For a negative time, or ``ping_timeout``
            without ``ping_rate``.
        :raises TypeError: For a time that isn't a number, or an
            ``exit_event`` that isn't an ``asyncio.Event``.
        """
        options = ConnectOptions(
            poll=poll,
            ping_rate=ping_rate,
            ping_timeout=ping_timeout,
            auto_pong=auto_pong,
            close_timeout=close_timeout,
            connect_timeout=connect_timeout,
            send_timeout=send_timeout,
            exit_event=exit_event,
        )
        if exit_event is not None and not asyncio.iscoroutinefunction(getattr(exit_event, "wait", None)):
            raise TypeError("exit_event must be an asyncio.Event, not {!r}".format(exit_event))
        return self._events(session_class, options)

    def __aiter__(self):
        return self.connect()

    async def _events(self, session_class, options):
        loop = asyncio.get_running_loop()
        previous = self._current
        if previous is not None:
            previous.force()  # a connection left open by an earlier loop
        run = self._current = Run(self, options, loop)
        attempt = run.attempt
        try:
            yield attempt.connecting()
            deadline = attempt.deadline(loop.time())
            while attempt.hop is not None:
                try:
                    link = await run.open(session_class, deadline)
                except (ConnectFail, Cancelled) as error:
                    yield attempt.not_opened(error)
                    return
                connected = attempt.connected(run.proxy_url)
                if connected is not None:
                    yield connected
                    connected = None
                try:
                    batch = link.take_events()
                    while batch != []:
                        if batch is None:
                            await link.arrival()
                        else:
                            for event in attempt.sift(batch):
                                yield event
                            # An idle connection keeps no event (nor the
                            # data it carries) alive: the caller decides.
                            event = batch = None
                        batch = link.take_events()
                finally:
                    run.end_hop(link)
                if not attempt.redirected:
                    return
                for event in attempt.follow():
                    yield event
        finally:
            run.finish()

    # -- Sending -----------------------------------------------------------

    async def _send(self, method, args):
        run = self._current
        if run is None:
            raise WebSocketUnavailable("not connected; iterate over the WebSocket first")
        link = run.link
        if link is None:
            raise WebSocketUnavailable("not connected; wait for the Ready event before sending")
        if link.failure is not None and not link.session.is_finished:
            raise TransportFail(link.failure)
        method(link.session, *args)
        link.touch()
        await link.drain(run.options.send_timeout)

    async def send_text(self, text, compress=True):
        """Send a text message; returns once the transport has taken it
        within its write-buffer limit (that is the back-pressure).

        :raises TypeError: If ``text`` isn't str.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        :raises lomond.errors.TransportFail: If the connection fails or
            the server takes no data for ``send_timeout`` seconds.
        """
        if not isinstance(text, str):
            raise TypeError("send_text() takes text (str), not {}; use send_binary() for bytes".format(type(text).__name__))
        await self._send(WebsocketSession.send_text, (text, compress))

    async def send_binary(self, data, compress=True):
        """Send a binary message (bytes, bytearray or memoryview)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("send_binary() takes bytes, bytearray or memoryview, not {}".format(type(data).__name__))
        await self._send(WebsocketSession.send_binary, (data, compress))

    async def send_json(self, _obj=Ellipsis, **kwargs):
        """Send an object as JSON text (see the blocking ``send_json``)."""
        await self.send_text(json_text(_obj, kwargs))

    async def send_ping(self, data=b""):
        """Send a ping (up to 125 bytes of data)."""
        await self._send(WebsocketSession.send_ping, (data,))

    async def send_pong(self, data):
        """Send a pong (up to 125 bytes of data)."""
        await self._send(WebsocketSession.send_pong, (data,))

    # -- Ending --------------------------------------------------------------

    async def close(self, code=Status.NORMAL, reason=b"goodbye"):
        """Start the close handshake; the iteration then ends with Closed
        and Disconnected. As the blocking ``close()``: before the
        connection is ready the close is kept for it, and the attempt ends
        within ``close_timeout`` of the call.

        :raises TypeError: For a code that isn't an int.
        :raises ValueError: For a code that may not be sent.
        """
        check_close_code(code)
        run = self._current
        if run is None or run.phase == "closed":
            log.debug("close(): no open connection")
            return
        run.close(code, reason)

    def force_disconnect(self):
        """Drop the connection (or the attempt) at once, without a close
        handshake. A plain method: safe from any callback."""
        run = self._current
        if run is not None and run.phase != "closed":
            run.force()

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc_value, traceback):
        """Send a close (not waiting for the answer) and drop the socket."""
        run = self._current
        if run is not None and run.link is not None:
            link = run.link
            if not link.session.is_finished:
                try:
                    link.session.close(Status.GOING_AWAY, b"", now=run.loop.time())
                    link.touch()
                except Exception:
                    log.debug("close on exit failed", exc_info=True)
            run.force()

"""The asyncio driver behind the tests' driver interface (see
drivers.py); Python 3.8+.

A handler is plain code, so it gets a view of the asyncio WebSocket whose
``send_*`` and ``close`` look synchronous: each coroutine runs at once up
to its first wait (so a caller's mistake still raises inside the
handler), and one that has to wait for the transport is finished before
the next event is taken, as a blocking send would be.
"""

import asyncio
import threading

from lomond.clock import monotonic

from .helpers import Sender, not_ended
from .servers import TIMEOUT


class LoopEvent(object):
    """An exit event for the asyncio driver that any thread may set.

    The asyncio.Event it stands for is made inside the running loop
    (Python 3.8 and 3.9 tie an Event to the loop current when it is made).
    """

    def __init__(self):
        self.event = None
        self.loop = None
        self._set = False

    def bind(self, loop):
        self.loop = loop
        self.event = asyncio.Event()
        if self._set:
            self.event.set()
        return self.event

    def set(self):
        self._set = True
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.event.set)

    def is_set(self):
        return self._set


class AioView(object):
    """An asyncio WebSocket that a plain handler can use."""

    def __init__(self, websocket):
        self.websocket = websocket
        self.loop = None
        #: Sends started by a handler that had to wait, finished in turn.
        self.pending = []
        #: Tasks beside the loop, awaited when it ends.
        self.background = []

    def __getattr__(self, name):
        return getattr(self.websocket, name)

    def __repr__(self):
        return repr(self.websocket)

    def _eager(self, coroutine):
        """Run ``coroutine`` up to its first wait; finish it later."""
        rest = _start(coroutine)
        if rest is not None:
            self.pending.append(rest)

    def send_text(self, *args, **kwargs):
        return self._eager(self.websocket.send_text(*args, **kwargs))

    def send_binary(self, *args, **kwargs):
        return self._eager(self.websocket.send_binary(*args, **kwargs))

    def send_json(self, *args, **kwargs):
        return self._eager(self.websocket.send_json(*args, **kwargs))

    def send_ping(self, *args, **kwargs):
        return self._eager(self.websocket.send_ping(*args, **kwargs))

    def send_pong(self, *args, **kwargs):
        return self._eager(self.websocket.send_pong(*args, **kwargs))

    def close(self, *args, **kwargs):
        return self._eager(self.websocket.close(*args, **kwargs))

    async def settle(self):
        """Finish the sends that had to wait, in order."""
        while self.pending:
            await self.pending.pop(0)


def _start(coroutine):
    """Run ``coroutine`` up to its first wait: None if it ended there,
    else an awaitable that finishes it. (Its exception, if it raises
    before waiting, goes to the caller.)"""
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    return _finish(coroutine, _taken(waiting))


def _taken(future):
    """Take a future a coroutine yielded, as a Task does (an await of a
    future that is still marked as blocking fails)."""
    future._asyncio_future_blocking = False
    return future


async def _finish(coroutine, waiting):
    """Go on with a coroutine that :meth:`AioView._eager` started."""
    while True:
        try:
            await waiting  # the future it is waiting for
        except BaseException as error:  # as a Task would, throw it in
            try:
                waiting = _taken(coroutine.throw(error))
            except StopIteration:
                return
            continue
        try:
            waiting = _taken(coroutine.send(None))
        except StopIteration:
            return


class AioDriver(object):
    name = "aio"

    @staticmethod
    def WebSocket(url, **options):
        from lomond.aio import WebSocket

        return AioView(WebSocket(url, **options))

    @staticmethod
    def _loop_over(view, events_source, handler):
        async def main():
            loop = asyncio.get_running_loop()
            view.loop = loop
            watchdog = loop.call_later(TIMEOUT * 2, view.websocket.force_disconnect)
            collected = []
            events = events_source()
            try:
                async for event in events:
                    collected.append(event)
                    if handler is not None and handler(view, event):
                        break
                    await view.settle()
            finally:
                await events.aclose()
                fired = watchdog.when() <= loop.time()
                watchdog.cancel()
            assert not fired, not_ended(collected)
            await view.settle()
            if view.background:
                await asyncio.wait(view.background, timeout=TIMEOUT)
            return collected

        return asyncio.run(main())

    def run(self, view, handler=None, **options):
        options.setdefault("ping_rate", 0)
        return self._loop_over(view, lambda: view.websocket.connect(**_bound(view, options)), handler)

    def persist(self, view, handler=None, **options):
        from lomond.aio import persist

        return self._loop_over(view, lambda: persist(view.websocket, **_bound(view, options)), handler)

    def iterate(self, view, handler=None):
        """Iterate over the WebSocket itself (``async for``, connect()'s
        defaults)."""
        return self._loop_over(view, view.websocket.__aiter__, handler)

    @staticmethod
    def exit_event():
        return LoopEvent()

    @staticmethod
    def send_catching(view, data, outcome, repeat=1):
        """As the blocking driver's: the iteration waits for it."""

        async def send():
            try:
                for _ in range(repeat):
                    await view.websocket.send_binary(data)
            except Exception as error:
                outcome["error"] = error
            outcome["ended_at"] = monotonic()

        view._eager(send())

    @staticmethod
    def start_sender(view, data):
        """Send ``data`` from another task; return the Sender. The send
        starts at once (as far as its first wait), as a thread's would
        have by the time the caller goes on."""
        sender = Sender()

        async def send():
            try:
                await view.websocket.send_binary(data)
            except Exception as error:
                sender.error = error
            sender.ended_at = monotonic()

        rest = _start(send())
        if rest is not None:
            sender.task = asyncio.ensure_future(rest)
            view.background.append(sender.task)
        return sender

    @staticmethod
    def call_from_thread(view, function):
        """Have the event loop call ``function`` (for another thread)."""
        done = threading.Event()

        def call():
            try:
                function()
            finally:
                done.set()

        view.loop.call_soon_threadsafe(call)
        done.wait(TIMEOUT)


def _bound(view, options):
    """The options, with a LoopEvent replaced by its asyncio.Event."""
    event = options.get("exit_event")
    if isinstance(event, LoopEvent):
        options = dict(options, exit_event=event.bind(view.loop))
    return options

"""The two drivers, behind one interface, so that a behaviour test runs
against both: ``driver.WebSocket(url, ...)`` and ``driver.run(websocket,
handler, **options)``.

A handler is a plain function ``handler(websocket, event)``, called for
each event; returning True leaves the loop. The asyncio driver is in
aio_driver.py (Python 3.8+).
"""

import sys
import threading

from lomond import WebSocket as SyncWebSocket
from lomond.clock import monotonic

from .helpers import Watchdog
from .servers import TIMEOUT

HAS_AIO = sys.version_info >= (3, 8)


class SyncDriver(object):
    name = "sync"

    @staticmethod
    def WebSocket(url, **options):
        return SyncWebSocket(url, **options)

    @staticmethod
    def run(websocket, handler=None, **options):
        options.setdefault("ping_rate", 0)
        collected = []
        with Watchdog(websocket):
            for event in websocket.connect(**options):
                collected.append(event)
                if handler is not None and handler(websocket, event):
                    break
        return collected

    @staticmethod
    def persist(websocket, handler=None, **options):
        from lomond.persist import persist

        collected = []
        with Watchdog(websocket):
            for event in persist(websocket, **options):
                collected.append(event)
                if handler is not None and handler(websocket, event):
                    break
        return collected

    @staticmethod
    def call_from_thread(websocket, function):
        """Call ``function`` as another thread would (it may block)."""
        function()

    @staticmethod
    def exit_event():
        return threading.Event()

    @staticmethod
    def send_catching(websocket, data, outcome):
        """Send ``data`` in the loop's own flow (it blocks the loop); put a
        failure and the time it ended in ``outcome``."""
        try:
            websocket.send_binary(data)
        except Exception as error:
            outcome["error"] = error
        outcome["ended_at"] = monotonic()

    @staticmethod
    def start_sender(websocket, data):
        """Send ``data`` from another thread; return the Sender."""
        sender = Sender()

        def send():
            try:
                websocket.send_binary(data)
            except Exception as error:
                sender.error = error
            sender.ended_at = monotonic()

        sender.thread = threading.Thread(target=send, name="lomond-test-sender")
        sender.thread.daemon = True
        sender.thread.start()
        return sender


class Sender(object):
    """A send running beside the loop (a thread, or an asyncio task)."""

    def __init__(self):
        self.error = None
        self.ended_at = None
        self.thread = None
        self.task = None

    def is_alive(self):
        if self.thread is not None:
            return self.thread.is_alive()
        return not self.task.done()

    def join(self):
        if self.thread is not None:
            self.thread.join(TIMEOUT)


DRIVERS = [SyncDriver()]
if HAS_AIO:  # its module has syntax Python 2.7 can't read
    from .aio_driver import AioDriver

    DRIVERS.append(AioDriver())

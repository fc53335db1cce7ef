"""The two drivers, behind one interface, so that a behaviour test runs
against both: ``driver.WebSocket(url, ...)`` and ``driver.run(websocket,
handler, **options)`` (or ``driver.persist``, ``driver.iterate``), and
:func:`exchange` for the common send-echo-close round.

A handler is a plain function ``handler(websocket, event)``, called for
each event; returning True leaves the loop. The asyncio driver is in
aio_driver.py (Python 3 syntax; loaded on 3.8+ only).
"""

import sys
import threading

from lomond import WebSocket as SyncWebSocket
from lomond.clock import monotonic

from . import helpers
from .helpers import Sender, send_and_close

HAS_AIO = sys.version_info >= (3, 8)


class SyncDriver(object):
    name = "sync"

    @staticmethod
    def WebSocket(url, **options):
        return SyncWebSocket(url, **options)

    run = staticmethod(helpers.run)

    @staticmethod
    def persist(websocket, handler=None, **options):
        from lomond.persist import persist

        return helpers.loop_over(websocket, persist(websocket, **options), handler)

    @staticmethod
    def iterate(websocket, handler=None):
        """Iterate over the WebSocket itself (connect() with its defaults)."""
        return helpers.loop_over(websocket, iter(websocket), handler)

    @staticmethod
    def call_from_thread(websocket, function):
        """Call ``function`` as another thread would (it may block)."""
        function()

    @staticmethod
    def exit_event():
        return threading.Event()

    @staticmethod
    def send_catching(websocket, data, outcome, repeat=1):
        """Send ``data`` in the loop's own flow (it blocks the loop), up to
        ``repeat`` times; put the failure that stopped it and the time it
        ended in ``outcome``."""
        try:
            for _ in range(repeat):
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


DRIVERS = [SyncDriver()]
if HAS_AIO:
    from .aio_driver import AioDriver

    DRIVERS.append(AioDriver())


def exchange(driver, url, messages, **options):
    """Make a WebSocket with ``driver``, send ``messages`` (text or bytes)
    on Ready and close once all have come back.

    :returns: ``(websocket, events, echoed)``
    """
    echoed = []
    websocket = driver.WebSocket(url, **options)
    events = driver.run(websocket, send_and_close(messages, echoed))
    return websocket, events, echoed

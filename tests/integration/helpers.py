"""Small helpers to run a client loop (or a module) in a test, bounded in time."""

import os
import socket
import subprocess
import sys
import threading

from .servers import TIMEOUT


class Watchdog(object):
    """Forces a WebSocket to disconnect if a test runs too long.

    A hang is then a failed test instead of a stuck suite.
    """

    def __init__(self, websocket, seconds=TIMEOUT * 2, collected=None):
        self.fired = threading.Event()
        self._websocket = websocket
        self._collected = collected  # the events so far, for the failure
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.name = "lomond-test-watchdog"
        self._timer.daemon = True

    def _fire(self):
        self.fired.set()
        self._websocket.force_disconnect()

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        self._timer.join(TIMEOUT)
        assert not self.fired.is_set(), not_ended(self._collected)


def not_ended(collected=None):
    """The failure of a loop stopped by its watchdog, naming the events
    it had yielded (they tell in which phase it was stuck)."""
    if collected is None:
        return "the client loop did not end in time"
    return "the client loop did not end in time; it had yielded: {}".format(
        ", ".join(repr(event) for event in collected) or "nothing"
    )


def run(websocket, handler=None, **options):
    """Iterate over ``websocket.connect(**options)``; return every event.

    ``handler(websocket, event)`` is called for each event; returning True
    from it leaves the loop early.
    """
    options.setdefault("ping_rate", 0)
    return loop_over(websocket, websocket.connect(**options), handler)


def loop_over(websocket, events, handler=None):
    """Take ``events`` (of ``websocket``), bounded by a Watchdog; return
    them. ``handler`` as for :func:`run`."""
    collected = []
    with Watchdog(websocket, collected=collected):
        for event in events:
            collected.append(event)
            if handler is not None and handler(websocket, event):
                break
    return collected


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
        return self.task is not None and not self.task.done()

    def join(self):
        if self.thread is not None:
            self.thread.join(TIMEOUT)


#: What echo_once sends.
ECHO_TEXT = u"echo once"


def echo_once(websocket, event):
    """A handler: send ECHO_TEXT on Ready; close when it comes back."""
    if event.name == "ready":
        websocket.send_text(ECHO_TEXT)
    elif event.name == "text":
        assert event.text == ECHO_TEXT
        websocket.close()


def send_and_close(messages, echoed=None):
    """A handler that sends ``messages`` (text or bytes) on Ready and
    closes once as many have come back (appending them to ``echoed``)."""
    echoed = [] if echoed is None else echoed

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

    return handler


def names(events):
    return [event.name for event in events]


def socket_closed(websocket):
    """True if the client's socket of the last connection is closed
    (either driver)."""
    current = getattr(websocket, "websocket", websocket)._current
    if current is None:
        return True
    link = getattr(current, "link", None)
    if link is not None:  # lomond.aio
        transport = link.transport
        if transport is None:
            return True
        sock = transport.get_extra_info("socket")
        return transport.is_closing() and (sock is None or sock.fileno() == -1)
    transport = getattr(current, "transport", None)
    if transport is None:
        return True
    try:
        descriptor = transport.sock.fileno()
    except (OSError, socket.error):  # Python 2.7: a closed socket raises
        descriptor = -1
    return transport.closed and descriptor == -1


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_module(module, *args, **options):
    """Start ``python -m module args`` from the repository root, with pipes.

    ``env={...}`` adds to (or, with None values, removes from) the
    environment.
    """
    env = dict(os.environ)
    for name, value in options.pop("env", {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    if options:
        raise TypeError("unexpected options: {}".format(sorted(options)))
    return subprocess.Popen(
        [sys.executable, "-m", module] + list(args),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def finish(process, stdin=b""):
    """Send ``stdin``, wait (bounded) and return (status, stdout, stderr)."""
    timer = threading.Timer(TIMEOUT * 3, process.kill)
    timer.start()
    try:
        out, err = process.communicate(stdin)
    finally:
        timer.cancel()
    return process.returncode, out.decode("utf-8"), err.decode("utf-8")

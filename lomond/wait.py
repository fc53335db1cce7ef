"""Waiting on sockets: the one wait primitive, and the wake-up channel.

Every blocking wait of the blocking driver goes through :func:`wait_for`:
it waits until a socket is readable or writable, until a
:class:`WakeUpChannel` is poked from another thread, or until a timeout.
So ``close()``, ``force_disconnect()`` and the timers can always cut a
wait short: nothing in Lomond sleeps on a socket that only the server can
wake.

``poll`` is used where it exists (``select`` fails for descriptors over
1023, which long-running daemons reach).
"""

import errno
import select
import socket
import threading

#: What to wait for.
READ = 1
WRITE = 2

_HAVE_POLL = hasattr(select, "poll")


def _retry_on_eintr(call, *args):
    # Python 2.7 doesn't retry a wait interrupted by a signal (PEP 475 came
    # with 3.5); returning "nothing happened" makes the caller wait again.
    try:
        return call(*args)
    except (OSError, select.error) as error:
        if error.args and error.args[0] == errno.EINTR:
            return None
        raise


class WakeUpChannel(object):
    """A socket pair that cuts a wait short when poked from another thread.

    Level-triggered: once :meth:`wake` is called, the channel stays readable
    until the waiter calls :meth:`drain`. Only one thread should wait on a
    given channel, so that the one that drains it is the one that woke.
    """

    def __init__(self):
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._lock = threading.Lock()  # never held across a blocking call
        self._closed = False

    def fileno(self):
        return self._reader.fileno()

    def wake(self):
        """Make the waiting thread return. Safe from any thread, at any
        time (does nothing once closed)."""
        with self._lock:
            if self._closed:
                return
            try:
                self._writer.send(b"\0")
            except (OSError, socket.error):
                pass  # the buffer is full: it is awake already

    def drain(self):
        """Forget the wake-ups received so far (call after waking)."""
        try:
            while self._reader.recv(256):
                pass
        except (OSError, socket.error):
            pass

    def close(self):
        with self._lock:
            self._closed = True
            self._reader.close()
            self._writer.close()


def wait_for(sock, what, timeout, channel=None):
    """Wait until ``sock`` is ready for ``what``, or ``channel`` is poked.

    :param sock: A socket (anything with ``fileno()``).
    :param int what: READ, WRITE or READ | WRITE.
    :param float timeout: Seconds; None waits without limit.
    :param WakeUpChannel channel: Also return when this is poked.
    :returns: ``(ready, woken)``: ``ready`` is the subset of ``what`` the
        socket is ready for (a failed or shut-down socket counts as ready:
        the next operation reports it); ``woken`` is True if ``channel``
        was poked (it is drained).
    """
    if _HAVE_POLL:
        poller = select.poll()
        poller.register(sock, _poll_mask(what))
        if channel is not None:
            poller.register(channel, select.POLLIN)
        millis = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        fired = _retry_on_eintr(poller.poll, millis) or []
        ready = 0
        woken = False
        channel_fd = channel.fileno() if channel is not None else None
        for descriptor, flags in fired:
            if descriptor == channel_fd:
                woken = True
            else:
                ready |= _ready_from_poll(flags, what)
    else:  # pragma: no cover - platforms without poll()
        readers = [channel] if channel is not None else []
        if what & READ:
            readers.append(sock)
        writers = [sock] if what & WRITE else []
        fired = _retry_on_eintr(select.select, readers, writers, [sock], timeout)
        readable, writable, failed = fired or ([], [], [])
        woken = channel is not None and channel in readable
        ready = (READ if sock in readable else 0) | (WRITE if sock in writable else 0)
        if sock in failed:
            ready = what
    if woken:
        channel.drain()
    return ready, woken


class Poller(object):
    """A reusable wait on one socket and one wake-up channel.

    The event loop waits thousands of times a second on the same socket;
    registering it each time would cost more than the wait itself, so the
    loop keeps one of these for the life of the connection.
    """

    def __init__(self, sock, channel):
        self._sock = sock
        self._channel = channel
        self._channel_fd = channel.fileno()
        self._what = READ
        self._poller = None
        if _HAVE_POLL:
            self._poller = select.poll()
            self._poller.register(sock, _poll_mask(READ))
            self._poller.register(self._channel_fd, select.POLLIN)

    def wait(self, what, timeout):
        """Like :func:`wait_for` on the socket and channel given at first."""
        poller = self._poller
        if poller is None:  # pragma: no cover - platforms without poll()
            return wait_for(self._sock, what, timeout, self._channel)
        if what != self._what:
            poller.modify(self._sock, _poll_mask(what))
            self._what = what
        millis = None if timeout is None else int(timeout * 1000 + 0.999)
        fired = _retry_on_eintr(poller.poll, millis)
        if not fired:
            return 0, False
        ready = 0
        woken = False
        for descriptor, flags in fired:
            if descriptor == self._channel_fd:
                woken = True
            else:
                ready |= _ready_from_poll(flags, what)
        if woken:
            self._channel.drain()
        return ready, woken


def _poll_mask(what):
    mask = 0
    if what & READ:
        mask |= select.POLLIN
    if what & WRITE:
        mask |= select.POLLOUT
    return mask


def _ready_from_poll(flags, what):
    if flags & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
        return what  # let the next operation say what is wrong
    ready = 0
    if flags & select.POLLIN:
        ready |= READ
    if flags & select.POLLOUT:
        ready |= WRITE
    return ready & what

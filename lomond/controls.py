"""The caller's controls over one connection attempt (shared by every driver).

``close()``, ``force_disconnect()`` and an ``exit_event`` may come at any
moment: while a TCP connection or a TLS handshake is under way, between two
redirect hops, during the upgrade, or once open. :class:`Controls` records
what was asked, for the whole attempt (redirect hops included), and tells
a driver, at each of its waits, whether to stop and why; the driver wakes
its waits whenever a control arrives. It reads no clock and waits for
nothing: the times are passed in.

Before the upgrade completes there is no WebSocket to close politely, so
``force_disconnect()`` and ``exit_event`` stop the attempt at once, while a
``close()`` is kept for the connection being made (it is sent as soon as
the upgrade completes) and bounds the whole attempt to ``close_timeout``
from the call.
"""

from .options import EXIT_CHECK


class Cancelled(Exception):
    """The caller stopped a connection attempt; the message says how."""


class Controls(object):
    """What the caller has asked of one connection attempt.

    :param float close_timeout: Seconds a close may take, or None.
    :param exit_event: An Event (anything with ``is_set``) or None.
    """

    __slots__ = ["close_timeout", "exit_event", "forced", "exiting", "pending_close"]

    def __init__(self, close_timeout=None, exit_event=None):
        self.close_timeout = close_timeout
        self.exit_event = exit_event
        #: True once force_disconnect() was called.
        self.forced = False
        #: True once the exit_event was seen set.
        self.exiting = False
        #: ``(code, reason, time)`` of a close() asked for before the
        #: connection was ready, or None.
        self.pending_close = None

    def force(self):
        """force_disconnect() was called."""
        self.forced = True

    def request_close(self, code, reason, now):
        """close() was called before the connection was ready (the first
        call counts)."""
        if self.pending_close is None:
            self.pending_close = (code, reason, now)

    def exit_requested(self):
        """True once the exit event is set (looked at on each call)."""
        if not self.exiting and self.exit_event is not None and self.exit_event.is_set():
            self.exiting = True
        return self.exiting

    @property
    def close_deadline(self):
        """When a pending close gives up on the connection being made."""
        pending = self.pending_close
        if pending is None or self.close_timeout is None:
            return None
        return pending[2] + self.close_timeout

    def stop_reason(self, now):
        """Why a connection that isn't ready yet must stop now, or None.

        :param float now: The current monotonic time.
        :rtype: str
        """
        if self.forced:
            return "forced by the application"
        if self.exit_requested():
            return "exit requested"
        deadline = self.close_deadline
        if deadline is not None and now >= deadline:
            return "closed by the application and not ready within {:g}s".format(self.close_timeout)
        return None

    def check(self, now):
        """Raise :class:`Cancelled` if the attempt must stop now."""
        reason = self.stop_reason(now)
        if reason is not None:
            raise Cancelled(reason)

    def next_check(self, now):
        """The latest time at which to call :meth:`check` again, or None:
        a driver bounds its waits by it (the controls also wake them,
        except an exit event that can't)."""
        deadline = self.close_deadline
        if self.exit_event is not None and not self.exiting:
            poll_at = now + EXIT_CHECK
            if deadline is None or poll_at < deadline:
                deadline = poll_at
        return deadline

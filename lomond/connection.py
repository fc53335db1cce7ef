"""One ``connect()`` of the blocking WebSocket: its shared state, and what
any thread may do with it (send, close, force a disconnect).

Theory of operation
-------------------

One lock guards the session, the queue of outgoing bytes and every socket
operation, and it is never held across a wait: each socket call is
non-blocking, and whoever must wait (the loop for data, a sender for room
in the socket, an opening step for the server) releases the lock first and
waits on the socket *and* on a wake-up channel that every control pokes.
So the loop (:mod:`lomond.loop`) never stops yielding events because
another thread is stuck, and ``close()``, ``force_disconnect()`` and
``exit_event`` take effect in every phase. No user code runs under the
lock either: log and trace records are collected under it and emitted
once it is released, and events are handed out after it.

A send frames its message under the lock and writes what the socket takes
at once. If the socket is full, the sender waits, outside the lock, until
its message has gone, as the one *writer* (other senders queue behind it
and wait their turn), bounded by ``send_timeout`` without progress and by
the close timeout once ``close()`` was called. Meanwhile the loop reads,
answers pings, fires timers and yields Poll events; when no sender waits,
the loop finishes writing what the senders left.
"""

import logging
import threading

from .attempt import Attempt
from .clock import monotonic, wall_time
from .entropy import RandomPool
from .errors import TransportFail, WebSocketUnavailable
from .options import EXIT_CHECK, earliest
from .session import CONNECTING
from .status import Status
from .wait import READ, WRITE, WakeUpChannel, wait_for

log = logging.getLogger("lomond")


class Connection(object):
    """The shared state of one connect() run of a
    :class:`~lomond.websocket.WebSocket`.

    :param websocket: The WebSocket.
    :param options: The :class:`~lomond.options.ConnectOptions`.
    """

    def __init__(self, websocket, options):
        self.websocket = websocket
        self.options = options
        #: The course of this connect(): hops, events, the caller's controls.
        self.attempt = Attempt(websocket, options, wall_time)
        self.controls = self.attempt.controls
        #: Guards everything below; never held across a wait.
        self.lock = threading.Lock()
        self._progress = threading.Condition(self.lock)
        #: Pokes the loop's waits (and the opening steps').
        self.channel = WakeUpChannel()
        self._writer_channel = None  # pokes the writer's wait
        self.random_bytes = RandomPool()
        self.session = None
        self.transport = None
        self.outbox = None
        self.exit_handled = False
        self._close_when_written = False
        self._notes = []  # the driver's own log records

    # -- The caller's controls (from any thread) -------------------------

    def close(self, code, reason):
        """Start the close handshake, or keep the close for the connection
        being made."""
        now = monotonic()
        notes = ()
        with self.lock:
            session = self.session
            if not self.attempt.is_ready:
                # Kept for the connection being made, across redirects.
                self.controls.request_close(code, reason, now)
            if session is not None and not session.is_finished:
                session.close(code, reason, now=now)
                self.flush(now)
                notes = self.take_notes()
            self.wake_all()
        self.websocket.emit_notes(notes)
        self.websocket.emit_trace("close_requested", code=code)

    def force(self):
        """Drop the connection (or the attempt) at once."""
        with self.lock:
            self._stop("data not sent: force_disconnect() was called")

    def exit_now(self):
        """Send a close (not waiting for the answer) and drop the socket:
        leaving the WebSocket's ``with`` block."""
        now = monotonic()
        with self.lock:
            session = self.session
            if session is not None and not session.is_finished:
                try:
                    session.close(Status.GOING_AWAY, b"", now=now)
                    self.flush(now)
                except Exception:  # the socket may be gone already
                    self._notes.append(("log", logging.DEBUG, "close on exit failed", ()))
            self._stop("data not sent: the WebSocket was closed")

    @property
    def phase(self):
        """'connecting' until the first session, 'closed' at the end."""
        return self.attempt.phase

    def _stop(self, reason):
        self.controls.force()
        if self.outbox is not None:
            self.outbox.fail(reason)
        if self.transport is not None:
            self.transport.shutdown()
        self.wake_all()

    def wake_all(self):
        """Cut short every wait of this connection (lock held)."""
        self.channel.wake()
        if self._writer_channel is not None:
            self._writer_channel.wake()
        self._progress.notify_all()

    def take_notes(self):
        """The log and trace records to emit once the lock is released
        (lock held)."""
        notes = self.session.take_notes() if self.session is not None else ()
        if self._notes:
            notes = self._notes + list(notes)
            self._notes = []
        return notes

    def check_exit(self, now):
        """Once the exit event is set, close (GOING_AWAY); before the
        upgrade completes, give up at once (lock held).

        :returns: The events this caused.
        """
        if self.exit_handled or not self.controls.exit_requested():
            return []
        self.exit_handled = True
        session = self.session
        if session.state == CONNECTING:
            return session.abort("disconnected; exit requested before the upgrade completed")
        self._notes.append(("log", logging.INFO, "exit requested: closing %s", (self.websocket.target.redacted,)))
        session.close(Status.GOING_AWAY, b"client exiting", now=now)
        self.flush(now)
        return []

    # -- The socket ---------------------------------------------------------

    def flush(self, now):
        """Queue what the session framed, and write what the socket takes
        now (lock held)."""
        outbox = self.outbox
        if outbox is None or outbox.failure is not None:
            return
        try:
            outbox.write(self.session.data_to_send(), now)
        except TransportFail as error:
            self.fail_stream(str(error))

    def fail_stream(self, reason):
        """The stream may now hold half a frame: nothing more can be sent,
        and the loop ends the connection (lock held)."""
        self.outbox.fail(reason)
        self.transport.shutdown()
        self.wake_all()

    def release_transport(self):
        """Close the socket, or have the writer close it once it is done
        with it (lock held)."""
        outbox = self.outbox
        outbox.fail(outbox.failure or "data not sent: the connection has ended")
        self._progress.notify_all()
        if outbox.writer is None:
            self._close_transport()
        else:
            self._close_when_written = True
            self.transport.shutdown()
            self._writer_channel.wake()

    def _close_transport(self):
        self._close_when_written = False
        self.transport.close()
        if self._writer_channel is not None:
            self._writer_channel.close()
            self._writer_channel = None

    # -- Sending (from any thread) ------------------------------------------

    def send(self, method, args):
        """Call a session's send method and write what it framed.

        Returns once the socket has taken the whole message.

        :param method: e.g. ``WebsocketSession.send_text``.
        :param tuple args: Its arguments.
        """
        with self.lock:
            session = self.session
            if session is None:
                raise WebSocketUnavailable("not connected; wait for the Ready event before sending")
            outbox = self.outbox
            if outbox.failure is not None and not session.is_finished:
                raise TransportFail(outbox.failure)
            method(session, *args)
            now = monotonic()
            if outbox.writer is None:
                try:
                    end = outbox.write(session.data_to_send(), now)
                except TransportFail as error:
                    end = outbox.queued
                    self.fail_stream(str(error))
            else:
                end = outbox.push(session.data_to_send(), now)
            notes = self.take_notes() if session.keeps_notes or self._notes else ()
            done = outbox.written >= end
        if notes:
            self.websocket.emit_notes(notes)
        if not done:
            self._wait_sent(outbox, end)

    def _wait_sent(self, outbox, end):
        """Wait until the bytes up to ``end`` are written (lock not held)."""
        me = threading.current_thread()
        with self.lock:
            while outbox.written < end:
                if outbox.failure is not None:
                    raise TransportFail(outbox.failure)
                if outbox.writer is not None:
                    # Another sender waits for the socket; it wakes us.
                    self._progress.wait(EXIT_CHECK if self.controls.exit_event is not None else 1.0)
                    continue
                outbox.writer = me
                try:
                    self._write_until(outbox, end)
                finally:
                    outbox.writer = None
                    self._progress.notify_all()
                    if self._close_when_written:
                        self._close_transport()
                    elif not outbox.is_empty:
                        self.channel.wake()  # the loop writes the rest

    def _write_until(self, outbox, end):
        """Be the writer until ``end`` is written: release the lock while
        the socket is full (lock held on entry and exit)."""
        transport = outbox.transport
        if self._writer_channel is None:
            self._writer_channel = WakeUpChannel()
        channel = self._writer_channel
        while True:
            now = monotonic()
            self.flush(now)
            if outbox.failure is not None:
                raise TransportFail(outbox.failure)
            if outbox.written >= end:
                return
            self.check_exit(now)
            deadline = self._writer_deadline(outbox, now)
            if outbox.failure is not None:
                continue  # past a limit: raise at the top
            what = WRITE
            if transport.send_wants_read:
                # TLS wants to read before it writes, and the loop may be
                # the one that reads: look again soon.
                what = READ | WRITE
                deadline = earliest(deadline, now + 0.05)
            notes = self.take_notes()
            self.lock.release()
            try:
                if notes:
                    self.websocket.emit_notes(notes)
                wait_for(transport.sock, what, None if deadline is None else max(0.0, deadline - now), channel)
            finally:
                self.lock.acquire()

    def _writer_deadline(self, outbox, now):
        """When the writer must look again; past a limit, fail the stream
        (lock held)."""
        send_timeout = self.options.send_timeout
        deadline = None
        if send_timeout is not None:
            deadline = outbox.progress_time + send_timeout
            if now >= deadline:
                self.fail_stream("send stalled: the server took no data for {:g}s".format(send_timeout))
                return deadline
        close_deadline = self.session.close_deadline
        if close_deadline is not None:
            if now >= close_deadline:
                self.fail_stream(
                    "data not sent: the server did not answer the close within {:g}s".format(
                        self.options.close_timeout
                    )
                )
                return close_deadline
            deadline = earliest(deadline, close_deadline)
        if self.controls.exit_event is not None and not self.exit_handled:
            deadline = earliest(deadline, now + EXIT_CHECK)  # it can't wake us
        return deadline

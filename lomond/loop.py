"""The event loop of the blocking WebSocket: what the iterating thread does.

:class:`Loop` opens the connection (following redirects), then moves bytes
and time between the socket and the session, and hands out events. It
never waits while holding the connection's lock, and each wait also ends
when another thread pokes the wake-up channel (see
:mod:`lomond.connection`).
"""

import logging

from .clock import monotonic, wall_time
from .controls import Cancelled
from .errors import ConnectFail, TransportFail
from .opener import open_transport
from .options import earliest
from .session import leave_politely
from .outbox import Outbox
from .wait import READ, WRITE, Poller, wait_for

log = logging.getLogger("lomond")

#: The longest single wait of the loop when no timer is running.
MAX_WAIT = 60.0

class Loop(object):
    """Drive one connection (``lomond.connection.Connection``) to its end.

    :param begin: Called when the iteration starts: makes the connection
        (the WebSocket's current one from then on) and returns it.
    :param session_class: The session class for each hop.
    """

    def __init__(self, begin, session_class):
        self._make_connection = begin
        self.session_class = session_class
        self.connection = self.websocket = self.options = None

    def events(self):
        """Connect, follow redirects, and yield every event until the one
        final event."""
        connection = self.connection = self._make_connection()
        attempt = connection.attempt
        self.websocket = attempt.websocket
        self.options = attempt.options
        try:
            yield attempt.connecting()
            deadline = attempt.deadline(monotonic())
            while attempt.hop is not None:
                try:
                    transport = self._open(deadline)
                except (ConnectFail, Cancelled) as error:
                    yield attempt.not_opened(error)
                    return
                self._begin(transport, deadline)
                connected = attempt.connected(transport.proxy)
                if connected is not None:
                    yield connected
                try:
                    for batch in self._turns():
                        for event in attempt.sift(batch):
                            yield event
                finally:
                    self._end_hop()
                if not attempt.redirected:
                    return
                for event in attempt.follow():
                    yield event
        finally:
            attempt.phase = "closed"
            with connection.lock:
                connection.channel.close()

    # -- Opening --------------------------------------------------------------

    def wait_opening(self, sock, what, deadline):
        """The wait of every opening step (see :mod:`lomond.opener`): True
        once ready, False at the deadline; raises Cancelled when the caller
        stops the attempt."""
        controls = self.connection.controls
        channel = self.connection.channel
        while True:
            now = monotonic()
            controls.check(now)
            if now >= deadline:
                return False
            until = earliest(deadline, controls.next_check(now))
            ready, _woken = wait_for(sock, what, max(0.0, until - now), channel)
            if ready:
                return True

    def _open(self, deadline):
        """Open a transport for the current hop (raises ConnectFail or
        Cancelled)."""
        self.connection.controls.check(monotonic())
        route = self.connection.attempt.route()
        return open_transport(route, deadline, self.wait_opening, self.websocket.emit_trace)

    def _begin(self, transport, deadline):
        """Start the session of the current hop on ``transport`` and send
        the upgrade request."""
        connection = self.connection
        now = monotonic()
        session = connection.attempt.new_session(self.session_class, connection.random_bytes, now, deadline)
        with connection.lock:
            connection.transport = transport
            connection.outbox = Outbox(transport)
            session.start(now)
            connection.session = session
            connection.outbox.push(session.data_to_send(), now)
            connection.flush(now)
            notes = connection.take_notes()
        self.websocket.emit_notes(notes)

    def _end_hop(self):
        """After a hop's loop: if the caller left the loop early, say
        goodbye (a close frame, code 1001, as far as the socket takes it
        now; no wait for the answer) and end the session; release the
        socket."""
        connection = self.connection
        with connection.lock:
            session = connection.session
            left_early = not session.is_finished
            if left_early:
                leave_politely(session, monotonic())
                connection.flush(monotonic())
                session.abort("disconnected; the event loop was left")
            connection.release_transport()
            notes = connection.take_notes()
        if left_early:
            log.info("the event loop was left early: sent a close (1001) and dropped the connection")
        self.websocket.emit_notes(notes)

    # -- The turns ------------------------------------------------------------

    def _turns(self):
        """Move bytes and time between the socket and the session.

        Yields the events of each turn as a list, stamped with the time.
        """
        connection = self.connection
        session = connection.session
        transport = connection.transport
        outbox = connection.outbox
        controls = connection.controls
        lock = connection.lock
        send_timeout = self.options.send_timeout
        emit_notes = self.websocket.emit_notes
        poller = Poller(transport.sock, connection.channel)
        tick = session.tick
        recv_into = transport.recv_into
        what, timeout = READ, 0.0
        readable = False
        while True:
            if not readable:
                ready, _woken = poller.wait(what, timeout)
                readable = bool(ready & READ)
            with lock:
                now = monotonic()
                if controls.forced:
                    event_list = session.abort("disconnected; forced by the application")
                else:
                    event_list = connection.check_exit(now)
                event_list += tick(now)
                if outbox.failure is not None and not session.is_finished:
                    event_list += session.abort("socket fail; {}".format(outbox.failure))
                if readable and not session.is_finished:
                    try:
                        count = recv_into(session.get_buffer())
                    except TransportFail as error:
                        event_list += session.abort("socket fail; {}".format(error))
                    else:
                        if count:
                            event_list += session.buffer_updated(count)
                        elif count == 0:
                            event_list += session.feed(b"")
                if not session.is_finished:
                    if outbox.writer is None:
                        connection.flush(now)  # what the session queued, and what waits
                        if send_timeout is not None and outbox.failure is None and outbox.stalled(now, send_timeout):
                            connection.fail_stream("send stalled: the server took no data for {:g}s".format(send_timeout))
                    else:
                        outbox.push(session.data_to_send(), now)  # the writer writes it
                    if outbox.failure is not None:
                        event_list += session.abort("socket fail; {}".format(outbox.failure))
                finished = session.is_finished
                if finished:
                    connection.release_transport()
                else:
                    readable = transport.pending() > 0
                    what, timeout = self._plan_wait(now)
                notes = connection.take_notes()
            if notes:
                emit_notes(notes)
            if event_list:
                stamp = wall_time()
                for event in event_list:
                    event.received_time = stamp
                yield event_list
            if finished:
                return

    def _plan_wait(self, now):
        """What the loop waits for next, and how long (lock held)."""
        connection = self.connection
        deadline = connection.session.next_deadline()
        outbox = connection.outbox
        what = READ
        if outbox.writer is None and not outbox.is_empty:
            what = READ | WRITE
            if self.options.send_timeout is not None:
                deadline = earliest(deadline, outbox.progress_time + self.options.send_timeout)
        if not connection.exit_handled:
            deadline = earliest(deadline, connection.controls.next_check(now))
        if deadline is None:
            return what, MAX_WAIT
        return what, min(MAX_WAIT, max(0.0, deadline - now))

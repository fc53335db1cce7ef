"""The event loop of the blocking WebSocket: what the iterating thread does.

:class:`Loop` opens the connection (following redirects), then moves bytes
and time between the socket and the session, and hands out events. It
never waits while holding the connection's lock, and each wait also ends
when another thread pokes the wake-up channel (see
:mod:`lomond.connection`).
"""

import logging

from . import events
from .clock import monotonic, wall_time
from .controls import Cancelled
from .errors import ConnectFail, TransportFail
from .opener import open_transport
from .options import earliest
from .outbox import Outbox
from .redirect import Hop, is_redirect
from .url import RedirectError
from .wait import READ, WRITE, Poller, wait_for

log = logging.getLogger("lomond")

#: The longest single wait of the loop when no timer is running.
MAX_WAIT = 60.0

#: With connect_timeout=None: a deadline that never comes.
_FOREVER = 365 * 24 * 3600.0

_NOTABLE = frozenset(["rejected", "ready", "disconnected"])


def _stamp(event):
    event.received_time = wall_time()
    return event


class Loop(object):
    """Drive one connection (``lomond.connection.Connection``) to its end.

    :param connection: The connection.
    :param session_class: The session class for each hop.
    """

    def __init__(self, connection, session_class):
        self.connection = connection
        self.websocket = connection.websocket
        self.session_class = session_class
        self.options = connection.options

    def events(self):
        """Connect, follow redirects, and yield every event until the one
        final event."""
        connection = self.connection
        websocket = self.websocket
        hop = Hop.first(websocket.target, websocket.headers)
        log.info("connecting to %s", hop.target.redacted)
        websocket.emit_trace("connect_start")
        try:
            yield _stamp(events.Connecting(hop.target.redacted))
            deadline = monotonic() + (self.options.connect_timeout or _FOREVER)
            while hop is not None:
                try:
                    transport = self._open(hop, deadline)
                except (ConnectFail, Cancelled) as error:
                    yield self._not_opened(hop, error)
                    return
                self._begin(hop, transport, deadline)
                if hop.number == 0:
                    yield _stamp(events.Connected(hop.target.redacted, proxy=transport.proxy))
                redirect = None
                try:
                    for batch in self._turns():
                        for event in batch:
                            if event.name in _NOTABLE:
                                if event.name == "rejected" and is_redirect(event.response, websocket.max_redirects):
                                    redirect = event
                                if redirect is not None:
                                    continue  # the hop's Rejected and Disconnected
                                self._note(event, hop)
                            yield event
                finally:
                    self._end_hop()
                if redirect is None:
                    return
                hop, finals = self._next_hop(hop, redirect)
                for event in finals:
                    yield event
        finally:
            connection.phase = "closed"
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

    def _open(self, hop, deadline):
        """Open a transport for ``hop`` (raises ConnectFail or Cancelled)."""
        self.connection.controls.check(monotonic())
        route = self.websocket.route_to(hop.target)
        if route.proxy is not None:
            log.info("connecting to %s through proxy %s", hop.target.redacted, route.proxy.url)
        return open_transport(route, deadline, self.wait_opening, self.websocket.emit_trace)

    def _begin(self, hop, transport, deadline):
        """Start the session of ``hop`` on ``transport`` and send the
        upgrade request."""
        connection = self.connection
        now = monotonic()
        handshake_timeout = None if self.options.connect_timeout is None else max(0.001, deadline - now)
        session = self.websocket.new_session(
            self.session_class, self.options, hop, connection.random_bytes, handshake_timeout
        )
        pending = connection.controls.pending_close
        if pending is not None:
            code, reason, when = pending
            session.close(code, reason, now=when)
        with connection.lock:
            connection.transport = transport
            connection.outbox = Outbox(transport)
            session.start(now)
            connection.session = session
            connection.outbox.push(session.data_to_send(), now)
            connection.flush(now)
            notes = connection.take_notes()
        self.websocket.emit_notes(notes)
        self.websocket.emit_trace("handshake_sent")

    def _not_opened(self, hop, error):
        """The final event when a hop couldn't be opened."""
        self.connection.phase = "closed"
        stopped = isinstance(error, Cancelled)
        reason = str(error)
        if not stopped:
            log.info("connect to %s failed: %s", hop.target.redacted, reason)
            self.websocket.emit_trace("connect_fail", reason=reason)
        if hop.number:
            # A connection was made (and redirected): it ends with
            # Disconnected, as every made connection does.
            if stopped:
                reason = "disconnected; {}".format(reason)
            else:
                reason = "redirect to {} failed; {}".format(hop.target.redacted, reason)
            return _stamp(events.Disconnected(reason, graceful=False))
        if stopped:
            reason = "abandoned; {}".format(reason)
        return _stamp(events.ConnectFail(reason))

    # -- Redirects and the ends of a hop ------------------------------------

    def _next_hop(self, hop, redirect):
        """The hop a redirect leads to, or None and the final events."""
        try:
            new_hop = hop.follow(redirect.response, self.websocket.max_redirects)
        except RedirectError as error:
            redirect.reason = str(error)
            log.info("not following redirect from %s: %s", hop.target.redacted, error)
            return None, [
                _stamp(redirect),
                _stamp(events.Disconnected("rejected; {}".format(error), graceful=True)),
            ]
        log.info(
            "redirected (%s) from %s to %s",
            redirect.response.status_code,
            hop.target.redacted,
            new_hop.target.redacted,
        )
        self.websocket.emit_trace("redirect", location=new_hop.target.redacted)
        return new_hop, []

    def _note(self, event, hop):
        """Complete and log the events that end or begin a connection."""
        if event.name == "ready":
            self.connection.is_ready = True
            event.url = hop.target.redacted
        elif event.name == "disconnected":
            log.info("disconnected from %s: %s", hop.target.redacted, event.reason)
            self.websocket.emit_trace("disconnected", reason=event.reason, graceful=event.graceful)

    def _end_hop(self):
        """After a hop's loop: end its session if the caller left the loop
        early, and release its socket."""
        connection = self.connection
        with connection.lock:
            session = connection.session
            left_early = not session.is_finished
            if left_early:
                session.abort("disconnected; the event loop was left")
            connection.release_transport()
            notes = connection.take_notes()
        if left_early:
            log.warning("disconnecting websocket: the event loop was left early")
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
                    outbox.push(session.data_to_send(), now)
                    if outbox.writer is None:
                        connection.flush(now)
                        if outbox.failure is None and outbox.stalled(now, send_timeout):
                            connection.fail_stream("send stalled: the server took no data for {:g}s".format(send_timeout))
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

"""One ``connect()``, from the Connecting event to the final event, for
any driver: which hop is next, which events to hand out, and what a
failure, a redirect or a stop means.

A driver opens a transport for ``Attempt.hop``, starts the session
:meth:`Attempt.new_session` makes, and passes every event the session
produces through :meth:`Attempt.keep`; when a hop ends, it asks
:meth:`Attempt.follow` for the next one. The drivers differ only in how
they move bytes and wait.
"""

import logging

from . import events
from .controls import Cancelled, Controls
from .redirect import Hop, is_redirect
from .session import CONNECTING
from .url import RedirectError

log = logging.getLogger("lomond")

#: With connect_timeout=None: a deadline that never comes.
_FOREVER = 365 * 24 * 3600.0

_NOTABLE = frozenset(["rejected", "ready", "disconnected"])


class Attempt(object):
    """The course of one connect() of ``websocket``.

    :param websocket: The WebSocket (a
        :class:`~lomond.client.WebSocketBase`).
    :param options: The :class:`~lomond.options.ConnectOptions`.
    :param wall_time: The clock that stamps events.
    """

    __slots__ = ["websocket", "options", "wall_time", "controls", "hop", "phase", "is_ready", "redirect"]

    def __init__(self, websocket, options, wall_time):
        self.websocket = websocket
        self.options = options
        self.wall_time = wall_time
        self.controls = Controls(options.close_timeout, options.exit_event)
        self.hop = Hop.first(websocket.target, websocket.headers)
        #: 'connecting' until the first session, 'closed' at the end.
        self.phase = CONNECTING
        #: True once a Ready event was handed out.
        self.is_ready = False
        #: The Rejected event of a redirect the current hop ended with.
        self.redirect = None

    def stamp(self, event):
        event.received_time = self.wall_time()
        return event

    def connecting(self):
        """The first event."""
        target = self.hop.target
        log.info("connecting to %s", target.redacted)
        self.websocket.emit_trace("connect_start")
        return self.stamp(events.Connecting(target.redacted))

    def deadline(self, now):
        """The connect_timeout deadline, from ``now``."""
        return now + (self.options.connect_timeout or _FOREVER)

    def route(self):
        """The route to the current hop (raises ConnectFail)."""
        route = self.websocket.route_to(self.hop.target)
        if route.proxy is not None:
            log.info("connecting to %s through proxy %s", self.hop.target.redacted, route.proxy.url)
        return route

    def new_session(self, session_class, random_bytes, now, deadline, receive_buffer=None):
        """The session for the current hop, with a close the caller asked
        for before the connection was ready already in it."""
        timeout = None if self.options.connect_timeout is None else max(0.001, deadline - now)
        session = self.websocket.new_session(
            session_class, self.options, self.hop, random_bytes, timeout, receive_buffer
        )
        pending = self.controls.pending_close
        if pending is not None:
            code, reason, when = pending
            session.close(code, reason, now=when)
        return session

    def connected(self, proxy):
        """The Connected event, for the first hop only (None after a
        redirect)."""
        self.websocket.emit_trace("handshake_sent")
        if self.hop.number:
            return None
        return self.stamp(events.Connected(self.hop.target.redacted, proxy=proxy))

    def not_opened(self, error):
        """The final event when a hop couldn't be opened.

        :param error: ConnectFail, or Cancelled when the caller stopped it.
        """
        self.phase = "closed"
        hop = self.hop
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
            return self.stamp(events.Disconnected(reason, graceful=False))
        if stopped:
            reason = "abandoned; {}".format(reason)
        return self.stamp(events.ConnectFail(reason))

    def sift(self, batch):
        """The events of ``batch`` that go to the caller, in order (see
        :meth:`keep`); most batches hold none that need a look."""
        for event in batch:
            if event.name in _NOTABLE:
                return [event for event in batch if self.keep(event)]
        return batch

    def keep(self, event):
        """Tell if ``event`` goes to the caller (the Rejected and
        Disconnected of a hop that redirects don't); complete and log the
        events that begin or end a connection."""
        if event.name not in _NOTABLE:
            return True
        if event.name == "rejected" and is_redirect(event.response, self.websocket.max_redirects):
            self.redirect = event
        if self.redirect is not None:
            return False
        target = self.hop.target
        if event.name == "ready":
            self.is_ready = True
            event.url = target.redacted
        elif event.name == "disconnected":
            self.phase = "closed"
            log.info("disconnected from %s: %s", target.redacted, event.reason)
            self.websocket.emit_trace("disconnected", reason=event.reason, graceful=event.graceful)
        return True

    def follow(self):
        """After a hop ends: move to the hop a redirect leads to.

        :returns: The events to hand out before ending (a refused redirect
            ends the attempt with its Rejected and Disconnected).
        :rtype: list
        """
        redirect, self.redirect = self.redirect, None
        hop = self.hop
        try:
            self.hop = hop.follow(redirect.response, self.websocket.max_redirects)
        except RedirectError as error:
            self.hop = None
            self.phase = "closed"
            redirect.reason = str(error)
            log.info("not following redirect from %s: %s", hop.target.redacted, error)
            return [
                self.stamp(redirect),
                self.stamp(events.Disconnected("rejected; {}".format(error), graceful=True)),
            ]
        log.info(
            "redirected (%s) from %s to %s",
            redirect.response.status_code,
            hop.target.redacted,
            self.hop.target.redacted,
        )
        self.websocket.emit_trace("redirect", location=self.hop.target.redacted)
        return []

    @property
    def redirected(self):
        """True when the current hop ended with a redirect to follow."""
        return self.redirect is not None

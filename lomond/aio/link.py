"""One hop of an asyncio connection: the session over an asyncio transport.

A :class:`Link` is the protocol asyncio calls when bytes arrive, when the
transport's buffer fills or empties and when the connection ends. Each
call is one turn of the session, as in the blocking loop: feed (or tick),
write what the session queued, reschedule the one timer from
``next_deadline()``, and queue the events for the coroutine that
iterates. Nothing here blocks and nothing polls: an idle connection costs
one timer, set to its next Poll or ping.

Back-pressure both ways: when the iterating coroutine falls behind and
more than :data:`MAX_BUFFERED` bytes of messages wait for it, the Link
stops reading until it catches up; a send waits while the transport holds
more than its write-buffer limit.
"""

import asyncio
import logging

from ..clock import wall_time
from ..errors import TransportFail
from ..options import earliest
from ..session import leave_politely

log = logging.getLogger("lomond")

#: Stop reading when this many bytes of received messages wait for the
#: iterating coroutine; read again when they are taken.
MAX_BUFFERED = 1024 * 1024

#: Encrypted bytes read at a time for TLS inside TLS.
_SCRATCH_SIZE = 65536


class Link(asyncio.BufferedProtocol):
    """The protocol of one hop.

    :param run: The run of the connect() this hop belongs to.
    :param session: The hop's :class:`~lomond.session.WebsocketSession`.
    """

    __slots__ = [
        "run",
        "session",
        "loop",
        "transport",
        "failure",
        "_events",
        "_buffered",
        "_waiter",
        "_timer",
        "_timer_at",
        "_reading_paused",
        "_writing_paused",
        "_drained",
    ]

    def __init__(self, run, session):
        self.run = run
        self.session = session
        self.loop = run.loop
        self.transport = None
        self.failure = None
        self._events = None  # events not yet taken; None when there are none
        self._buffered = 0
        self._waiter = None
        self._timer = None
        self._timer_at = None
        self._reading_paused = False
        self._writing_paused = False
        self._drained = None

    # -- Set up and tear down --------------------------------------------

    def attach(self, transport, early=b""):
        """Start using ``transport`` (opened and, if needed, upgraded to
        TLS by the opener) and send the upgrade request.

        :param bytes early: Bytes the server sent before this.
        """
        self.transport = transport
        self.session.start(self.loop.time())
        self._turn([])
        if early:
            self._receive(early)

    def _receive(self, data):
        """Bytes that arrived outside asyncio's calls (read by the opener)."""
        self._turn(self.session.feed(data))

    def abort(self, reason, failure=None):
        """End the hop at once.

        :param str reason: The final event's reason.
        :param str failure: What a waiting or later send raises with.
        """
        if self.failure is None:
            self.failure = failure or reason
        self._turn(self.session.abort(reason))
        if self.transport is not None:
            self.transport.abort()

    def leave(self):
        """The iteration was left early: send a close (1001) if the
        connection is open, end the session and close the socket now (the
        close frame goes if the transport can take it at once)."""
        leave_politely(self.session, self.loop.time())
        self._turn([])
        if self.failure is None:
            self.failure = "data not sent: the event loop was left"
        self._turn(self.session.abort("disconnected; the event loop was left"))

    # -- asyncio's calls -------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, sizehint):
        return self.session.get_buffer()

    def buffer_updated(self, nbytes):
        self._turn(self._due() + self.session.buffer_updated(nbytes))

    def eof_received(self):
        self._turn(self._due() + self.session.feed(b""))
        return False  # asyncio then closes the transport

    def connection_lost(self, exc):
        session = self.session
        if not session.is_finished:
            if self.failure is not None:
                reason = self.failure
            elif exc is None:
                reason = None  # an EOF asyncio didn't report separately
            else:
                reason = "socket fail; {}".format(exc or exc.__class__.__name__)
            self._turn(session.feed(b"") if reason is None else session.abort(reason))
        if self.failure is None:
            self.failure = "data not sent: the connection has ended"
        self.wake_drain()
        self._cancel_timer()

    def pause_writing(self):
        self._writing_paused = True

    def resume_writing(self):
        self._writing_paused = False
        self.wake_drain()

    # -- The turn ----------------------------------------------------------

    def _turn(self, events):
        """After any call to the session: write, schedule, hand out."""
        session = self.session
        data = session.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self._write(data)
        notes = session.take_notes()
        if notes:
            self.run.websocket.emit_notes(notes)
        if events:
            stamp = wall_time()
            for event in events:
                event.received_time = stamp
                data = getattr(event, "data", None)
                if data is not None:
                    self._buffered += len(data)
            if self._events is None:
                self._events = events
            else:
                self._events.extend(events)
            if self._buffered > MAX_BUFFERED and not self._reading_paused and self.transport is not None:
                self._reading_paused = True
                self.transport.pause_reading()
            self._wake()
        if session.is_finished:
            self._cancel_timer()
            self._release()
        else:
            self._schedule()

    def _write(self, data):
        self.transport.write(data)

    def _release(self):
        """The session is over: let the transport go."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size():
            transport.abort()  # nothing waits for the rest
        else:
            transport.close()

    # -- Time ------------------------------------------------------------

    def _schedule(self):
        """Set the one timer to the session's next deadline."""
        deadline = self.session.next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None if deadline is None else self.loop.call_at(deadline, self._on_timer)

    def _due(self):
        """The events of a timer already due when bytes arrive: asyncio
        may hand over the bytes first, and the blocking loop ticks before
        it reads (the first Poll comes at Ready, before what follows)."""
        if self._timer_at is None or self._timer_at > self.loop.time():
            return []
        self._cancel_timer()
        return self.session.tick(self.loop.time())

    def _on_timer(self):
        self._timer = self._timer_at = None
        if not self.session.is_finished:
            self._turn(self.session.tick(self.loop.time()))

    def _cancel_timer(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None

    def exit(self):
        """The exit event is set: close (GOING_AWAY), or give up if the
        upgrade hasn't completed."""
        session = self.session
        if session.is_finished:
            return
        if session.state == "connecting":
            self._turn(session.abort("disconnected; exit requested before the upgrade completed"))
            self.transport.abort()
            return
        log.info("exit requested: closing %s", self.run.websocket.target.redacted)
        session.close(1001, b"client exiting", now=self.loop.time())
        self._turn([])
        self.wake_drain()

    def touch(self):
        """Something outside a turn changed the session (a send, a close):
        write and reschedule."""
        self._turn([])

    # -- The iterating coroutine ---------------------------------------------

    def _wake(self):
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take_events(self):
        """The events that arrived since the last call.

        :returns: A list of events; an empty list once the session is
            finished and every event was taken; None when none has arrived
            yet (then await :meth:`arrival` and call again).
        """
        events = self._events
        if events is None:
            return [] if self.session.is_finished else None
        self._events = None
        self._buffered = 0
        if self._reading_paused and self.transport is not None and not self.session.is_finished:
            self._reading_paused = False
            self.transport.resume_reading()
        return events

    def arrival(self):
        """A future done when events arrive (or the session ends). A plain
        future, not a coroutine: an idle connection keeps no frame for it."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            waiter = self._waiter = self.loop.create_future()
        return waiter

    # -- Sending -----------------------------------------------------------------

    def wake_drain(self):
        """Have a waiting send look again (the limits may have changed)."""
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    async def drain(self, send_timeout):
        """Wait while the transport holds more than its write limit.

        :param float send_timeout: Fail if nothing goes out for this long
            (None: no limit).
        :raises lomond.errors.TransportFail: If the connection fails or
            ends first, or stalls.
        """
        while self._writing_paused:
            if self.failure is not None:
                raise TransportFail(self.failure)
            before = self.transport.get_write_buffer_size()
            drained = self._drained = self.loop.create_future()
            now = self.loop.time()
            until = earliest(
                None if send_timeout is None else now + send_timeout, self.session.close_deadline
            )
            try:
                await asyncio.wait([drained], timeout=None if until is None else max(0.0, until - now))
            finally:
                self._drained = None
            if not drained.done():
                self._stalled(before, send_timeout)
        if self.failure is not None:
            raise TransportFail(self.failure)

    def _stalled(self, before, send_timeout):
        """A drain ran out of time: fail the connection if nothing moved or
        the close timeout is over."""
        close_deadline = self.session.close_deadline
        if close_deadline is not None and self.loop.time() >= close_deadline:
            self.failure = "data not sent: the server did not answer the close within {:g}s".format(
                self.run.options.close_timeout
            )
            self._turn(self.session.tick(self.loop.time()))
            self.transport.abort()
        elif self.transport.get_write_buffer_size() >= before:
            failure = "send stalled: the server took no data for {:g}s".format(send_timeout)
            self.abort("socket fail; " + failure, failure)


class LayeredLink(Link):
    """A hop with TLS inside the transport's own TLS (wss:// through an
    https:// proxy): the WebSocket's TLS runs in a
    :class:`~lomond.tls.TLSLayer` over the proxy's.

    :param layer: The :class:`~lomond.tls.TLSLayer`, its handshake done.
    """

    __slots__ = ["layer", "_scratch"]

    def __init__(self, run, session, layer):
        Link.__init__(self, run, session)
        self.layer = layer
        # A memoryview, not a bytearray: asyncio's TLS transport fills the
        # buffer a record at a time through slices of it, and a
        # bytearray's slice is a copy.
        self._scratch = memoryview(bytearray(_SCRATCH_SIZE))

    def get_buffer(self, sizehint):
        return self._scratch

    def buffer_updated(self, nbytes):
        self._receive(self._scratch[:nbytes])

    def _receive(self, data):
        """Decrypt what arrived and feed the session."""
        layer = self.layer
        session = self.session
        layer.receive(data)
        events = self._due()
        while not session.is_finished:
            try:
                count = layer.read_into(session.get_buffer())
            except TransportFail as error:
                events += session.abort("socket fail; {}".format(error))
                break
            if count is None:
                break
            events += session.buffer_updated(count) if count else session.feed(b"")
        if layer.has_output():  # e.g. a TLS 1.3 key update
            self.transport.write(layer.encrypted_output())
        self._turn(events)

    def _write(self, data):
        self.layer.write(data)
        self.transport.write(self.layer.encrypted_output())

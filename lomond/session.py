"""The WebSocket protocol state machine of a client (sans-IO).

Theory of operation
-------------------

A :class:`WebsocketSession` is one connection's protocol, with no socket,
clock, thread or random source of its own: a driver (the loop in
:mod:`lomond.websocket`, or a test) moves bytes and time in and out::

    session.start(now)                  # queues the upgrade request
    send(session.data_to_send())
    while not session.is_finished:
        wait until readable or session.next_deadline()
        events = session.tick(now)      # timers first (see below)
        events += session.feed(data)    # b"" when the server closed TCP
        send(session.data_to_send())
        hand events to the application

The states are CONNECTING (request sent, waiting for the 101), OPEN,
CLOSING (a close frame went one way) and CLOSED (it went both ways, or the
connection failed); :attr:`~WebsocketSession.is_finished` becomes True
with the one final :class:`~lomond.events.Disconnected` event, after which
the driver closes the socket.

The session never raises because of what the server sent. A protocol
violation becomes a :class:`~lomond.events.ProtocolError` event and a close
frame with the right code (1002, 1007, 1009 ...). A *critical* one (the
framing itself is broken) ends the connection at once; otherwise the
session waits, up to ``close_timeout``, for the server to answer the close.

Time: :meth:`~WebsocketSession.tick` takes the current (monotonic) time,
fires the timers that are due and returns their events: Poll, pings,
Unresponsive, the close timeout, the handshake timeout. Timers that
:meth:`~WebsocketSession.feed` starts use the time of the last tick, so
call tick before feed with a fresh clock.

When the *server* starts the close handshake, feed returns a Closing
event, and the echo is queued by the *next* feed or tick. That gives the
application the chance to send a last message in answer to Closing, as the
user guide promises, so hand events over before calling tick again.
"""

import logging
import struct

import six

from . import events
from .constants import DEFAULT_MAX_SIZE, MAX_CONTROL_PAYLOAD
from .errors import (
    HandshakeError,
    ProtocolError,
    WebSocketClosed,
    WebSocketClosing,
    WebSocketUnavailable,
)
from .frame import encode_client_frame
from .frame_parser import FrameParser
from .message import MessageAssembler
from .opcode import Opcode
from .options import check_ping_options, earliest, seconds_option
from .response import ResponseParser
from .status import Status, check_close_code, is_valid_close_code, truncate_reason
from .utf8 import decode_utf8

log = logging.getLogger("lomond")

CONNECTING = "connecting"
OPEN = "open"
CLOSING = "closing"
CLOSED = "closed"

_unpack_code = struct.Struct("!H").unpack
_pack_code = struct.Struct("!H").pack

_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY
_CONTINUATION = Opcode.CONTINUATION
_CLOSE = Opcode.CLOSE
_PING = Opcode.PING
_PONG = Opcode.PONG

_NO_EXTENSIONS = frozenset()

#: After the close handshake, how long to wait for the server to close the
#: TCP connection (RFC 6455 7.1.1: the server should close it first).
CLOSE_GRACE = 2.0




def leave_politely(session, now):
    """Queue a close (GOING_AWAY) for a connection the application is
    leaving without waiting for the answer; nothing if it can't be sent
    (before Ready, or a close already went out).

    Next: send :meth:`WebsocketSession.data_to_send`, then
    :meth:`WebsocketSession.abort` the session.
    """
    if session.state == OPEN or (session.state == CLOSING and session.close_sent_time is None):
        session.close(Status.GOING_AWAY, b"", now=now)


class WebsocketSession(object):
    """The protocol state machine of one client connection.

    :param handshake: The :class:`~lomond.handshake.Handshake` to perform.
    :param random_bytes: A function returning n random bytes, used for
        masking keys (e.g. ``os.urandom``).
    :param int max_size: The largest message accepted, or None.
    :param bool auto_pong: Answer pings automatically.
    :param float poll: Seconds between Poll events.
    :param float ping_rate: Seconds between automatic pings; 0 or None
        disables them.
    :param float ping_timeout: Seconds a ping may go unanswered before the
        server counts as unresponsive; 0 or None disables the check.
    :param float close_timeout: Seconds to wait for the server to answer a
        close; 0 or None waits forever.
    :param float handshake_timeout: Seconds to wait for the upgrade
        response; 0 or None waits forever.
    :param bool trace: Record a trace record for every frame (see
        :meth:`take_notes`).
    :param bytearray receive_buffer: Memory shared by the sessions of one
        thread to receive into (:meth:`get_buffer`): then an idle
        connection keeps no receive buffer of its own, which matters with
        thousands of them. None gives the session a buffer of its own.
    :raises ValueError: For a negative timer setting, or a ping timeout
        without pings.
    """

    # Thousands of connections may each hold one: no __dict__ each.
    # (A subclass without __slots__ gets one, which is fine.)
    __slots__ = [
        "handshake",
        "random_bytes",
        "max_size",
        "auto_pong",
        "poll",
        "ping_rate",
        "ping_timeout",
        "close_timeout",
        "handshake_timeout",
        "trace",
        "receive_buffer",
        "state",
        "response",
        "protocol",
        "extensions",
        "deflate",
        "close_sent_time",
        "is_finished",
        "_debug",
        "keeps_notes",
        "_notes",
        "_now",
        "_parser",
        "_assembler",
        "_out",
        "_events",
        "_started",
        "_close_sent",
        "_close_received",
        "_echo_due",
        "_failure",
        "_close_on_open",
        "_failed",
        "_poll_at",
        "_ping_at",
        "_pong_deadline",
        "_handshake_deadline",
        "_close_deadline",
        "_grace_deadline",
        "__weakref__",
    ]

    def __init__(
        self,
        handshake,
        random_bytes,
        max_size=DEFAULT_MAX_SIZE,
        auto_pong=True,
        poll=5.0,
        ping_rate=30.0,
        ping_timeout=None,
        close_timeout=30.0,
        handshake_timeout=30.0,
        trace=None,
        receive_buffer=None,
    ):
        if max_size is not None and max_size < 0:
            raise ValueError("max_size must be positive, or None for no limit")
        self.handshake = handshake
        self.random_bytes = random_bytes
        self.max_size = max_size
        self.auto_pong = auto_pong
        self.poll = seconds_option("poll", poll)
        self.ping_rate = seconds_option("ping_rate", ping_rate)
        self.ping_timeout = seconds_option("ping_timeout", ping_timeout)
        check_ping_options(self.ping_rate, self.ping_timeout)
        self.close_timeout = seconds_option("close_timeout", close_timeout)
        self.handshake_timeout = seconds_option("handshake_timeout", handshake_timeout)
        self.trace = bool(trace)
        self.receive_buffer = receive_buffer

        self.state = CONNECTING
        #: The server's :class:`~lomond.response.Response`, once received.
        self.response = None
        #: The subprotocol the server chose, or None.
        self.protocol = None
        #: The set of extension names in use.
        self.extensions = _NO_EXTENSIONS
        #: The :class:`~lomond.compression.Deflate` codec, or None.
        self.deflate = None
        #: The (monotonic) time the close frame was sent, or None.
        self.close_sent_time = None
        #: True once the final Disconnected event has been returned; the
        #: driver then closes the socket.
        self.is_finished = False

        self._debug = log.isEnabledFor(logging.DEBUG)
        #: True if the session makes log or trace records (see
        #: :meth:`take_notes`); a quiet session's take_notes() is always empty.
        self.keeps_notes = self._debug or self.trace
        self._notes = [] if self.keeps_notes else None  # (kept only when asked for)
        self._now = 0.0
        self._parser = ResponseParser(receive_buffer)
        self._assembler = None
        self._out = None  # a list of bytes to send, None when empty
        self._events = None  # the list of events, during a call
        self._started = False
        self._close_sent = False
        self._close_received = None  # (code, reason) once received
        self._echo_due = False
        self._failure = None  # (close payload, done) due at the next call
        self._close_on_open = None
        self._failed = None  # reason, after a protocol error
        self._poll_at = None
        self._ping_at = None
        self._pong_deadline = None
        self._handshake_deadline = None
        self._close_deadline = None
        self._grace_deadline = None

    def __repr__(self):
        return "<WebsocketSession {}>".format(self.state)

    # -- Driving -------------------------------------------------------

    def start(self, now):
        """Queue the upgrade request; call once, before anything else.

        Next: send :meth:`data_to_send`, then feed what the server sends.

        :param float now: The current monotonic time.
        """
        if self._started:
            raise RuntimeError("the session has already started")
        self._started = True
        self._now = now
        if self.handshake_timeout is not None:
            self._handshake_deadline = now + self.handshake_timeout
        self._out = [self.handshake.request()]

    def feed(self, data):
        """Process bytes received from the server.

        :param bytes data: The bytes, or ``b""`` when the server closed the
            connection (EOF).
        :returns: The events these bytes caused.
        :rtype: list
        """
        event_list = self._events = []
        if not self.is_finished:
            self._release_deferred()
            if not data:
                self._on_eof()
            elif self._parser is not None:
                self._receive(self._parser.feed, data)
        self._events = None  # (an idle session holds no list)
        return event_list

    def get_buffer(self):
        """Memory to receive bytes into, to avoid a copy (see feed()).

        Write into it (``sock.recv_into(session.get_buffer())``), then call
        :meth:`buffer_updated` with the count; on EOF call ``feed(b"")``.
        When the session takes no more data it returns a scratch buffer
        whose contents are ignored.

        :rtype: memoryview
        """
        parser = self._parser
        if parser is None or parser.is_finished or self.is_finished:
            return memoryview(bytearray(4096))
        return parser.get_buffer()

    def buffer_updated(self, count):
        """Process ``count`` bytes written into :meth:`get_buffer` memory.

        :param int count: The number of bytes received (more than 0).
        :returns: The events those bytes caused.
        :rtype: list
        """
        event_list = self._events = []
        if not self.is_finished:
            self._release_deferred()
            if self._parser is not None and not self._parser.is_finished:
                self._receive(self._parser.buffer_updated, count)
        self._events = None
        return event_list

    def tick(self, now):
        """Fire the timers that are due at ``now``.

        :param float now: The current monotonic time.
        :returns: Poll, Unresponsive, Disconnected ... as due.
        :rtype: list
        """
        event_list = self._events = []
        self._now = now
        if not self.is_finished:
            self._tick(now, event_list)
        self._events = None
        return event_list

    def _tick(self, now, event_list):
        self._release_deferred()
        state = self.state
        if state == CONNECTING:
            deadline = self._handshake_deadline
            if deadline is not None and now >= deadline:
                self._finish(
                    "timed out after {:.1f}s waiting for the upgrade response".format(
                        self.handshake_timeout
                    ),
                    graceful=False,
                )
            elif self._close_deadline is not None and now >= self._close_deadline:
                self._finish(
                    "disconnected; close() was called and the upgrade did not complete within {:g}s".format(
                        self.close_timeout
                    ),
                    graceful=False,
                )
            return
        if self._grace_deadline is not None:
            if now >= self._grace_deadline:
                # The handshake is complete; the server just didn't close
                # the TCP connection as RFC 6455 7.1.1 asks.
                self._finish_closed()
            return
        if self._close_deadline is not None and now >= self._close_deadline:
            self._finish(
                "disconnected; server did not answer the close within {:g}s".format(
                    self.close_timeout
                ),
                graceful=False,
            )
            return
        if self._pong_deadline is not None and now >= self._pong_deadline:
            event_list.append(events.Unresponsive())
            self._finish(
                "disconnected; no pong within {:g}s".format(self.ping_timeout),
                graceful=False,
            )
            return
        if self._poll_at is not None and now >= self._poll_at:
            self._poll_at = now + self.poll if self.poll else None
            event_list.append(events.Poll())
        if self._ping_at is not None and now >= self._ping_at:
            self._ping_at = now + self.ping_rate
            if state == OPEN and not self._close_sent:
                self._send_frame(_PING, b"")
                if self.ping_timeout is not None and self._pong_deadline is None:
                    self._pong_deadline = now + self.ping_timeout

    def next_deadline(self):
        """The monotonic time by which :meth:`tick` must be called.

        :returns: A time (possibly already past), or None if no timer is
            running.
        :rtype: float
        """
        if self.is_finished:
            return None
        if self._echo_due or self._failure is not None:
            return self._now
        if self.state == CONNECTING:
            return earliest(self._handshake_deadline, self._close_deadline)
        if self._grace_deadline is not None:
            return self._grace_deadline
        # The earliest timer; called before every wait, so no list.
        soonest = self._close_deadline
        deadline = self._pong_deadline
        if deadline is not None and (soonest is None or deadline < soonest):
            soonest = deadline
        deadline = self._poll_at
        if deadline is not None and (soonest is None or deadline < soonest):
            soonest = deadline
        deadline = self._ping_at
        if deadline is not None and (soonest is None or deadline < soonest):
            soonest = deadline
        return soonest

    def data_to_send(self):
        """Return (and forget) the bytes queued for the server.

        :returns: ``b""`` when there is nothing to send. In pure Python a
            large frame is built in place and comes back as a bytearray.
        :rtype: bytes or bytearray
        """
        out = self._out
        if out is None:
            return b""
        self._out = None
        return out[0] if len(out) == 1 else b"".join(out)

    def abort(self, reason):
        """End the connection because the transport failed.

        :param str reason: What happened (e.g. a socket error).
        :returns: The final Disconnected event, unless already finished.
        :rtype: list
        """
        event_list = self._events = []
        if self.is_finished:
            return event_list
        if self.state == CLOSED and self._grace_deadline is not None:
            # The close frames went both ways: however TCP ends after that
            # (a reset, say), the closing handshake completed.
            self._finish_closed()
        else:
            self._finish(reason, graceful=False)
        return event_list

    def take_notes(self):
        """Return (and forget) the log and trace records made so far.

        The session never calls the logging system or a trace callback
        itself: a driver that holds a lock while it uses the session
        emits these after releasing it, so that no user code (a log
        handler, a trace callback) ever runs under its lock.

        :returns: ``("log", level, message, args)`` and ``("trace",
            record)`` tuples, oldest first (a list, or an empty tuple).
        :rtype: list
        """
        notes = self._notes
        if not notes:
            return ()
        self._notes = []
        return notes

    @property
    def close_deadline(self):
        """The monotonic time by which the server must answer the close
        (or, before Ready, by which the upgrade must complete after a
        close() call); None if no close is waiting for an answer."""
        return self._close_deadline

    # -- Sending -------------------------------------------------------

    def _check_can_send(self):
        state = self.state
        if state == OPEN and not self._close_sent:
            return
        if state == CONNECTING:
            raise WebSocketUnavailable("not connected; wait for the Ready event before sending")
        if state == CLOSING and not self._close_sent:
            return  # answering a Closing event, before the echo
        if state == CLOSED or self.is_finished:
            raise WebSocketClosed("data not sent; the WebSocket is closed")
        raise WebSocketClosing("data not sent; the WebSocket is closing")

    def send_text(self, text, compress=True):
        """Queue a text message.

        :param str text: The text.
        :param bool compress: Compress it, if compression was negotiated.
        :raises TypeError: If ``text`` is not str.
        :raises lomond.errors.WebSocketUnavailable: If not open.
        """
        if not isinstance(text, six.text_type):
            raise TypeError(
                "send_text() takes text ({}), not {}; use send_binary() for bytes".format(
                    six.text_type.__name__, type(text).__name__
                )
            )
        if self.state != OPEN or self._close_sent:
            self._check_can_send()
        self._send_message(_TEXT, text.encode("utf-8"), compress)

    def send_binary(self, data, compress=True):
        """Queue a binary message.

        :param data: The payload: bytes, bytearray or memoryview.
        :param bool compress: Compress it, if compression was negotiated.
        :raises TypeError: For any other type.
        :raises lomond.errors.WebSocketUnavailable: If not open.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                "send_binary() takes bytes, bytearray or memoryview, not {}".format(
                    type(data).__name__
                )
            )
        if self.state != OPEN or self._close_sent:
            self._check_can_send()
        if isinstance(data, memoryview):
            data = data.tobytes()
        self._send_message(_BINARY, data, compress)

    def _send_message(self, opcode, payload, compress):
        deflate = self.deflate
        if compress and deflate is not None and deflate.can_compress:
            self._send_frame(opcode, deflate.compress(payload), rsv1=True)
        elif self.keeps_notes:
            self._send_frame(opcode, payload)
        else:  # the common case, without the logging checks
            frame = encode_client_frame(opcode, payload, self.random_bytes(4))
            out = self._out
            if out is None:
                self._out = [frame]
            else:
                out.append(frame)

    def send_ping(self, data=b""):
        """Queue a ping.

        :param bytes data: Up to 125 bytes of payload.
        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not open.
        """
        self._send_control(_PING, data, "send_ping")

    def send_pong(self, data):
        """Queue a pong (normally sent for you; see ``auto_pong``).

        :param bytes data: Up to 125 bytes of payload.
        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not open.
        """
        self._send_control(_PONG, data, "send_pong")

    def _send_control(self, opcode, data, method):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("{}() takes bytes, not {}".format(method, type(data).__name__))
        if len(data) > MAX_CONTROL_PAYLOAD:
            raise ValueError("{}() takes at most 125 bytes".format(method))
        self._check_can_send()
        self._send_frame(opcode, bytes(data))

    def close(self, code=Status.NORMAL, reason=b"goodbye", now=None):
        """Start the close handshake (or answer the server's).

        Does nothing if a close was already sent. Before the handshake has
        completed, the close is sent as soon as the connection opens, and
        the close timeout starts now: if the upgrade doesn't complete
        within it, the connection ends. A driver may call this before
        :meth:`start`, with the time the caller asked to close.

        :param int code: The close code: 1000-1003, 1007-1014 or 3000-4999.
        :param reason: Text or UTF-8 bytes; cut to 123 bytes at a character
            boundary.
        :param float now: The current monotonic time (starts the close
            timeout); the time of the last tick if None.
        :raises ValueError: For a code that may not be sent.
        :raises TypeError: For a code that isn't an int, or a reason that
            is neither text nor bytes.
        """
        check_close_code(code)
        reason = truncate_reason(reason)
        if now is not None:
            self._now = now
        if self.is_finished or self._close_sent:
            return
        payload = _pack_code(code) + reason
        if self.state == CONNECTING:
            if self._close_on_open is None:
                self._close_on_open = payload
                if self.close_timeout is not None:
                    self._close_deadline = self._now + self.close_timeout
            return
        self._send_close(payload)

    # -- Receiving -----------------------------------------------------

    def _receive(self, method, arg):
        """Run a parser method; handle its results, then any error."""
        parser = self._parser
        results = method(arg)
        if self.state == CONNECTING:
            if results:
                self._on_response(results[0])
            elif parser.error is not None:
                self._finish(
                    "invalid upgrade response: {}".format(parser.error), graceful=False
                )
            return
        on_frame = self._on_frame
        if self.keeps_notes:
            for frame in results:
                on_frame(frame)
                if self._parser is not parser:
                    return  # a close frame or an error ended parsing
        else:
            # The same as above, with data frames handled in line.
            feed = self._assembler.feed
            append = self._events.append
            for frame in results:
                if frame.opcode <= _BINARY and self._failed is None:
                    try:
                        event = feed(frame)
                    except ProtocolError as error:
                        self._protocol_error(str(error), error.code, critical=False)
                        continue
                    if event is not None:
                        append(event)
                    continue
                on_frame(frame)
                if self._parser is not parser:
                    return  # a close frame or an error ended parsing
        error = parser.error
        if error is not None:
            # Frames before the bad one were handled above: RFC 6455 only
            # fails the connection at the point of the violation.
            self._protocol_error(
                str(error) or error.__class__.__name__,  # MemoryError has no message
                getattr(error, "code", Status.PROTOCOL_ERROR),
                critical=True,
            )

    def _on_response(self, response):
        self.response = response
        leftover = self._parser.unconsumed()
        try:
            protocol, extensions, deflate = self.handshake.validate(response)
        except HandshakeError as error:
            response.body = leftover
            self._drop_parser()
            self._events.append(events.Rejected(response, str(error)))
            self._finish("rejected; {}".format(error), graceful=True)
            return
        self.protocol = protocol
        self.extensions = extensions
        self.deflate = deflate
        self.state = OPEN
        self._handshake_deadline = None
        self._drop_parser()
        self._parser = FrameParser(max_size=self.max_size, rsv1=deflate is not None, scratch=self.receive_buffer)
        self._assembler = MessageAssembler(max_size=self.max_size, deflate=deflate)
        self._events.append(events.Ready(response, protocol, extensions))
        self._poll_at = self._now if self.poll is not None else None
        if self.ping_rate is not None:
            self._ping_at = self._now + self.ping_rate
        if self._close_on_open is not None:
            self._send_close(self._close_on_open)
        if leftover:
            self._receive(self._parser.feed, leftover)

    def _on_frame(self, frame):
        if self._debug:
            self._notes.append(("log", logging.DEBUG, "received %r", (frame,)))
        if self.trace:
            self._notes.append(("trace", {"stage": "frame_received", "frame": frame}))
        opcode = frame.opcode
        if self._failed is not None and opcode != _CLOSE:
            return  # after a failure, only the server's close matters
        if opcode <= _BINARY:
            try:
                event = self._assembler.feed(frame)
            except ProtocolError as error:
                self._protocol_error(str(error), error.code, critical=False)
                return
            if event is not None:
                self._events.append(event)
        elif opcode == _CLOSE:
            self._on_close(frame.payload)
        elif opcode == _PING:
            self._events.append(events.Ping(frame.payload))
            if self.auto_pong and not self._close_sent:
                self._send_frame(_PONG, frame.payload)
        else:
            self._pong_deadline = None
            self._events.append(events.Pong(frame.payload))

    def _on_close(self, payload):
        # RFC 6455 5.5.1: the body, if any, is a 2-byte code and a UTF-8
        # reason; RFC 6455 7.4: the code must be one that may be sent.
        self._drop_parser()  # the server may send nothing after a close
        if not payload:
            code, reason = None, ""
        elif len(payload) == 1:
            self._close_received = (None, "")
            self._protocol_error("close frame with a 1-byte payload", Status.PROTOCOL_ERROR)
            return
        else:
            (code,) = _unpack_code(payload[:2])
            if not is_valid_close_code(code):
                self._close_received = (code, "")
                self._protocol_error(
                    "close frame with invalid code {}".format(code), Status.PROTOCOL_ERROR
                )
                return
            try:
                reason = decode_utf8(payload[2:])
            except ProtocolError as error:
                self._close_received = (code, "")
                self._protocol_error("close reason: {}".format(error), error.code)
                return
        self._close_received = (code, reason)
        if self._failed is not None:
            self._closed()
        elif self._close_sent:
            self._events.append(events.Closed(code, reason))
            self._closed()
        else:
            self.state = CLOSING
            self._echo_due = True
            self._events.append(events.Closing(code, reason))

    def _release_deferred(self):
        """Send the closes that wait until the application has seen the
        events before them: a failure's, and the echo of the server's."""
        failure = self._failure
        if failure is not None:
            self._failure = None
            payload, done = failure
            if not self._close_sent:
                self._send_close(payload)
            if done:
                self._closed()
        if self._echo_due:
            self._echo_due = False
            if not self._close_sent:
                # RFC 6455 5.5.1: the echo typically repeats the code; a
                # close without a code is answered without one.
                code = self._close_received[0]
                self._send_close(b"" if code is None else _pack_code(code))
            self._closed()

    def _on_eof(self):
        state = self.state
        if self._failed is not None:
            self._finish_closed()  # names the protocol error, not the EOF
        elif state == CONNECTING:
            reason = "server closed the connection before answering the upgrade"
            self._finish(reason, graceful=False)
        elif state == CLOSED:
            self._finish_closed()
        elif self._parser is not None and not self._parser.is_idle:
            self._finish("socket fail; connection lost in the middle of a frame", graceful=False)
        else:
            self._finish("socket fail; connection lost without a close frame", graceful=False)

    # -- Closing -------------------------------------------------------

    def _send_close(self, payload):
        """Queue a close frame with ``payload`` (code and reason)."""
        self._send_frame(_CLOSE, payload)
        self._close_sent = True
        self.close_sent_time = self._now
        if self._close_received is None:
            self.state = CLOSING
            # A close asked for during the upgrade keeps the deadline it got
            # then: the whole connection ends within close_timeout of it.
            if self.close_timeout is not None and self._close_deadline is None:
                self._close_deadline = self._now + self.close_timeout

    def _closed(self):
        """Both close frames have been exchanged."""
        self.state = CLOSED
        self._drop_parser()
        self._close_deadline = self._pong_deadline = None
        self._poll_at = self._ping_at = None
        self._grace_deadline = self._now + CLOSE_GRACE

    def _protocol_error(self, message, code, critical=False):
        """Fail the connection: RFC 6455 7.1.7.

        The close frame goes out at the next feed() or tick(), so the
        application first gets the events from before the error and may
        still answer them, as if frames were handled one at a time
        (Autobahn 3.2 and 4.x check that the echo of a valid message comes
        before the failure caused by the frame after it).
        """
        if self._debug:
            self._notes.append(("log", logging.DEBUG, "protocol error (close code %s): %s", (code, message)))
        if critical:
            self._drop_parser()  # nothing after this can be parsed
        # When nothing more can be parsed, or both closes are known, the
        # session then waits briefly for the server to close TCP, so the
        # close frame isn't lost to a reset (closing with unread data).
        done = critical or self._close_received is not None
        if self._failed is not None:
            # Already failing: only a worse outcome matters, not the news.
            if done and self._failure is not None:
                self._failure = (self._failure[0], True)
            elif done and self.state != CLOSED:
                self._closed()
            return
        self._events.append(events.ProtocolError(message, critical))
        self._failed = message
        self._failure = (_pack_code(code) + truncate_reason(message), done)

    def _drop_parser(self):
        """Stop parsing; free the parser's buffers now, not at the next
        garbage collection."""
        parser = self._parser
        if parser is not None:
            self._parser = None
            parser.close()

    def _finish_closed(self):
        """The end after the close frames were exchanged (or an error)."""
        if self._failed is None:
            self._finish("closed", graceful=True)
        else:
            self._finish("disconnected; protocol error: {}".format(self._failed), graceful=False)

    def _finish(self, reason, graceful):
        """Emit the final Disconnected event."""
        self.state = CLOSED
        self.is_finished = True
        self._drop_parser()
        self._echo_due = False
        self._failure = None
        self._events.append(events.Disconnected(reason, graceful))

    def _send_frame(self, opcode, payload, rsv1=False):
        if self._debug:
            self._notes.append(
                ("log", logging.DEBUG, "sending %s frame of %d bytes", (Opcode.to_str(opcode), len(payload)))
            )
        if self.trace:
            self._notes.append(("trace", {"stage": "frame_sent", "opcode": opcode, "length": len(payload)}))
        frame = encode_client_frame(opcode, payload, self.random_bytes(4), rsv1)
        out = self._out
        if out is None:
            self._out = [frame]
        else:
            out.append(frame)

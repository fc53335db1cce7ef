"""The WebSocket object, and the loop that drives one connection.

Iterating over a :class:`WebSocket` (or over ``connect()``) connects and
yields events until the connection ends. The loop below only moves bytes
and time: the protocol lives in :mod:`lomond.session`. One lock guards the
session and the socket, so ``send_*`` and ``close()`` may be called from
any thread while another iterates; the loop waits for data without holding
it.
"""

import json
import logging
import os
import threading
import time

import six

from . import events
from .compression import PerMessageDeflate
from .constants import DEFAULT_MAX_SIZE, USER_AGENT
from .errors import ConnectFail, TransportFail, WebSocketUnavailable
from .handshake import Handshake, header_value, is_token, make_key, normalize_headers
from .session import WebsocketSession, CONNECTING, OPEN, CLOSING, CLOSED
from .status import Status, is_valid_close_code
from .proxy import ProxyURL, choose_proxy, open_tunnel
from .tls import HAVE_LAYERED_TLS, MATCHES_IP_ADDRESSES, LayeredTLSTransport, make_ssl_context, wrap_tls
from .clock import monotonic
from .transport import Transport, connect_tcp
from .url import RedirectError, WebSocketURL

log = logging.getLogger("lomond")

#: The longest single wait of the loop when no timer is running.
MAX_WAIT = 60.0

#: How often the loop looks at an ``exit_event`` (seconds).
EXIT_CHECK = 0.25

_REDIRECT_STATUSES = frozenset([301, 302, 303, 307, 308])
_NOTABLE = frozenset(["rejected", "ready", "disconnected"])
_PRIVATE_HEADERS = frozenset([b"authorization", b"cookie", b"proxy-authorization"])


class _RandomPool(object):
    """Masking keys from ``os.urandom``, fetched 4 KiB at a time.

    Only used under the WebSocket's lock.
    """

    def __init__(self):
        self._data = b""
        self._pos = 0

    def __call__(self, count):
        pos = self._pos
        if pos + count > len(self._data):
            self._data = os.urandom(max(4096, count))
            pos = 0
        self._pos = pos + count
        return self._data[pos : pos + count]


def _check_timeout(name, value):
    if value is not None and value < 0:
        raise ValueError("{} must be positive, or 0/None to disable it".format(name))


class WebSocket(object):
    """A WebSocket client connection.

    Nothing happens until you iterate over it (or over :meth:`connect`).

    :param str url: A ``ws://`` or ``wss://`` URL. Credentials in it
        (``wss://user:pass@host/``) are sent as Basic authorization.
    :param dict proxies: ``{'http': url, 'https': url}`` for ws:// and
        wss://, ``{}`` for no proxy, or None to read the environment
        (``HTTPS_PROXY``, ``NO_PROXY`` ...).
    :param list protocols: Subprotocols to offer.
    :param str agent: The User-Agent header (default: Lomond's).
    :param compress: True to offer permessage-deflate, or a
        :class:`~lomond.compression.PerMessageDeflate` with options.
    :param bool ssl_verify: Verify the server's certificate and host name
        (the default). False is insecure.
    :param str ssl_cafile: A file of CA certificates to trust instead of
        certifi's bundle.
    :param ssl.SSLContext ssl_context: A TLS context, used as given.
    :param trace: A callable that receives a dict for each step of the
        connection and each frame; or any other true value to log them.
    :param headers: Extra request headers: a dict or a list of
        ``(name, value)`` pairs, str or bytes.
    :param str origin: The Origin header, if any.
    :param int max_size: The largest message accepted in bytes (64 MiB by
        default); None for no limit.
    :param int max_redirects: How many HTTP redirects of the upgrade to
        follow (0: none). Never from wss:// to ws://; credentials and
        cookies are not sent on to another host.
    :param ssl.SSLContext proxy_ssl_context: The TLS context for an
        ``https://`` proxy (default: the same settings as the server's).
    :raises ValueError: For an unsupported URL scheme, a URL without a
        host or with a fragment, or a malformed option.
    """

    def __init__(
        self,
        url,
        proxies=None,
        protocols=None,
        agent=None,
        compress=False,
        ssl_verify=True,
        ssl_cafile=None,
        ssl_context=None,
        trace=None,
        headers=None,
        origin=None,
        max_size=DEFAULT_MAX_SIZE,
        max_redirects=5,
        proxy_ssl_context=None,
    ):
        self.url = url
        self._target = target = WebSocketURL(url)
        self.scheme = target.scheme
        self.host = target.host
        self.port = target.port
        self.resource = target.resource

        if proxies is not None:
            for key, value in proxies.items():
                if value and key != "no":
                    ProxyURL(value)  # a malformed proxy is a mistake: say so now
        self.proxies = proxies
        if protocols is not None and isinstance(protocols, six.string_types):
            raise TypeError("protocols must be a list of str, not a single str")
        self.protocols = list(protocols or [])
        for protocol in self.protocols:
            if not is_token(protocol):
                raise ValueError("invalid subprotocol name {!r}".format(protocol))
        self.agent = USER_AGENT if agent is None else agent
        header_value(self.agent, "User-Agent")  # checked now, not in the loop
        if compress is True:
            compress = PerMessageDeflate()
        elif compress is False or compress is None:
            compress = None
        elif not isinstance(compress, PerMessageDeflate):
            raise TypeError("compress must be True, False or a PerMessageDeflate")
        self._compression = compress
        self.compress = compress is not None
        self.ssl_verify = ssl_verify
        self.ssl_cafile = ssl_cafile
        self.ssl_context = ssl_context
        self.trace = trace
        self.headers = normalize_headers(headers)
        if origin is not None:
            header_value(origin, "Origin")
        self.origin = origin
        if max_size is not None and (not isinstance(max_size, six.integer_types) or max_size < 1):
            raise ValueError("max_size must be a positive int, or None for no limit")
        self.max_size = max_size
        if not isinstance(max_redirects, six.integer_types) or max_redirects < 0:
            raise ValueError("max_redirects must be an int, 0 or more")
        self.max_redirects = max_redirects
        self.proxy_ssl_context = proxy_ssl_context

        self._lock = threading.Lock()
        self._random = _RandomPool()
        self._session = None
        self._transport = None
        self._abort_reason = None
        self._send_timeout = None
        self._loop_thread = None
        self._attempt = "idle"  # the state while there is no session

    def __repr__(self):
        return "<WebSocket {!r} {}>".format(self._target.redacted, self.state)

    # -- Properties ----------------------------------------------------

    @property
    def state(self):
        """'idle' before the first connection; 'connecting' while
        connecting; then the session's state; 'closed' once a connection
        (or an attempt) has ended."""
        session = self._session
        if session is None:
            return self._attempt
        return CLOSED if session.is_finished else session.state

    @property
    def session(self):
        """The :class:`~lomond.session.WebsocketSession` of the current (or
        last) connection, or None."""
        return self._session

    @property
    def is_secure(self):
        """True for a ``wss://`` URL."""
        return self.scheme == "wss"

    @property
    def is_active(self):
        """True while connecting or open (and not closing)."""
        return self.state in (CONNECTING, OPEN)

    @property
    def is_closing(self):
        """True during the close handshake."""
        return self.state == CLOSING

    @property
    def is_closed(self):
        """True once a connection has ended."""
        return self.state == CLOSED

    @property
    def sent_close_time(self):
        """The monotonic time the close frame was sent, or None."""
        session = self._session
        return None if session is None else session.close_sent_time

    @property
    def supports_compression(self):
        """True when the server accepted permessage-deflate (after Ready)."""
        session = self._session
        return session is not None and session.deflate is not None

    @property
    def key(self):
        """The Sec-WebSocket-Key of the current connection, or None."""
        session = self._session
        return None if session is None else session.handshake.key

    def add_header(self, header, value):
        """Add a header to the upgrade request of later connections.

        :param header: The name, bytes or str.
        :param value: The value, bytes or str.
        :raises ValueError: For a header the handshake manages itself, or a
            value with a line break.
        """
        self.headers.extend(normalize_headers([(header, value)]))

    # -- Connecting ----------------------------------------------------

    def connect(
        self,
        session_class=WebsocketSession,
        poll=5.0,
        ping_rate=30.0,
        ping_timeout=None,
        auto_pong=True,
        close_timeout=30.0,
        connect_timeout=30.0,
        send_timeout=30.0,
        exit_event=None,
    ):
        """Connect, and return a generator of events.

        Nothing happens until you iterate over the generator; it ends after
        exactly one final event: :class:`~lomond.events.ConnectFail`, or
        :class:`~lomond.events.Disconnected` once a connection was made.
        Leaving the loop early closes the socket.

        :param session_class: The protocol class (a
            :class:`~lomond.session.WebsocketSession` subclass).
        :param float poll: Seconds between Poll events.
        :param float ping_rate: Seconds between automatic pings (0: none).
        :param float ping_timeout: Seconds a ping may go unanswered before
            Unresponsive and a disconnect (None: no limit).
        :param bool auto_pong: Answer the server's pings automatically.
        :param float close_timeout: Seconds to wait for the server to answer
            a close (None: forever).
        :param float connect_timeout: Seconds for TCP, TLS, the proxy and
            the upgrade together (None: no limit). DNS is bounded by the
            system resolver.
        :param float send_timeout: A send fails (and the connection drops)
            when the server takes no data for this many seconds.
        :param exit_event: A ``threading.Event`` (anything with
            ``is_set``): once it is set, the connection is closed
            gracefully (code 1001). Looked at every quarter second.
        :raises ValueError: For a negative time.
        """
        for name, value in (
            ("poll", poll),
            ("ping_rate", ping_rate),
            ("ping_timeout", ping_timeout),
            ("close_timeout", close_timeout),
            ("connect_timeout", connect_timeout),
            ("send_timeout", send_timeout),
        ):
            _check_timeout(name, value)
        options = dict(
            poll=poll,
            ping_rate=ping_rate,
            ping_timeout=ping_timeout,
            auto_pong=auto_pong,
            close_timeout=close_timeout,
        )
        return self._run(session_class, options, connect_timeout or None, send_timeout or None, exit_event)

    def __iter__(self):
        return self.connect()

    def reset(self):
        """Forget the last connection (closing its socket if still open)."""
        with self._lock:
            self._drop_transport()
            self._session = None

    def _emit_trace(self, stage, **fields):
        trace = self.trace
        if not trace:
            return
        record = {"stage": stage, "url": self._target.redacted}
        record.update(fields)
        if callable(trace):
            trace(record)
        else:
            log.debug("TRACE %r", record)

    def _ssl_context(self):
        if self.ssl_context is not None:
            return self.ssl_context
        return make_ssl_context(self.ssl_verify, self.ssl_cafile)

    def _open_transport(self, target, deadline):
        """Connect to ``target`` (through a proxy if one applies), with TLS."""
        try:
            proxy = choose_proxy(target.secure, target.host, target.port, self.proxies)
        except ValueError as error:
            raise ConnectFail(str(error))
        secure = target.secure
        context = None
        if secure or (proxy is not None and proxy.scheme == "https"):
            try:
                context = self._ssl_context()
            except (IOError, OSError, ValueError) as error:
                source = "CA certificates from {!r}".format(self.ssl_cafile) if self.ssl_cafile else "the TLS settings"
                raise ConnectFail("can't load {}: {}".format(source, error))
        if proxy is None:
            sock = connect_tcp(target.host, target.port, deadline)
        else:
            log.info("connecting to %s through proxy %s", target.redacted, proxy.url)
            if proxy.scheme == "https" and secure and not HAVE_LAYERED_TLS:
                raise ConnectFail(
                    "wss:// through an https:// proxy needs TLS inside TLS, which needs Python 3"
                )
            sock = open_tunnel(
                proxy, target.host, target.port, deadline, self.proxy_ssl_context or context
            )
        proxy_url = proxy and proxy.url
        self._emit_trace("connected_tcp", proxy=proxy_url)
        if not secure:
            return Transport(sock, proxy=proxy_url)
        if proxy is not None and proxy.scheme == "https":
            transport = LayeredTLSTransport(sock, context, target.host, deadline, proxy=proxy_url)
        else:
            # Python 2.7 can't match IP addresses; Lomond's own context
            # gets them checked by hand (a caller's context is left alone).
            check_ip = not MATCHES_IP_ADDRESSES and self.ssl_context is None
            transport = Transport(wrap_tls(sock, context, target.host, deadline, check_ip), proxy=proxy_url)
        self._emit_trace("tls_wrapped")
        return transport

    def _drop_transport(self):
        """Close the transport, or only shut it down if another thread may
        be waiting on it (closing would free the descriptor under it)."""
        transport = self._transport
        if transport is None:
            return
        if self._loop_thread == threading.current_thread():
            transport.close()
        else:
            transport.shutdown()

    def _run(self, session_class, options, connect_timeout, send_timeout, exit_event):
        """The connection generator (see :meth:`connect`)."""
        with self._lock:
            self._drop_transport()
            self._session = None
            self._transport = None
            self._abort_reason = None
            self._send_timeout = send_timeout
        self._loop_thread = threading.current_thread()
        target = self._target
        self._attempt = CONNECTING
        log.info("connecting to %s", target.redacted)
        self._emit_trace("connect_start")
        yield _stamp(events.Connecting(target.redacted))

        deadline = monotonic() + (connect_timeout or 365 * 24 * 3600.0)
        headers = self.headers
        authorization = target.authorization()
        hops = 0
        while True:
            try:
                transport = self._open_transport(target, deadline)
            except ConnectFail as error:
                reason = str(error)
                with self._lock:
                    self._session = None
                    self._attempt = CLOSED
                log.info("connect to %s failed: %s", target.redacted, reason)
                self._emit_trace("connect_fail", reason=reason)
                if hops:
                    # A connection was made (and redirected): it ends with
                    # Disconnected, as every made connection does.
                    reason = "redirect to {} failed; {}".format(target.redacted, reason)
                    yield _stamp(events.Disconnected(reason, graceful=False))
                else:
                    yield _stamp(events.ConnectFail(reason))
                return
            session = self._start_session(
                session_class, options, target, headers, authorization, connect_timeout, deadline
            )
            redirect = None
            try:
                with self._lock:
                    self._session = session
                    self._transport = transport
                    session.start(monotonic())
                    try:
                        transport.sendall(session.data_to_send(), send_timeout)
                        first = []
                    except TransportFail as error:
                        first = session.abort("socket fail; {}".format(error))
                self._emit_trace("handshake_sent")
                if not hops:
                    yield _stamp(events.Connected(target.redacted, proxy=transport.proxy))
                for event in first:
                    yield _stamp(event)
                for batch in self._loop(session, transport, send_timeout, exit_event):
                    for event in batch:
                        if event.name in _NOTABLE:
                            if event.name == "rejected" and self._is_redirect(event.response):
                                redirect = event
                            if redirect is not None:
                                continue  # the hop's Rejected and Disconnected
                            self._note(event, target)
                        yield event
            finally:
                with self._lock:
                    if not session.is_finished:
                        log.warning("disconnecting websocket: the event loop was left early")
                        session.abort("disconnected; the event loop was left")
                    transport.close()
            if redirect is None:
                return
            location = redirect.response.get("location")
            try:
                if hops >= self.max_redirects:
                    raise RedirectError("too many redirects (more than {})".format(self.max_redirects))
                new_target = target.redirect(location)
            except RedirectError as error:
                redirect.reason = str(error)
                log.info("not following redirect from %s: %s", target.redacted, error)
                yield _stamp(redirect)
                yield _stamp(events.Disconnected("rejected; {}".format(error), graceful=True))
                return
            log.info(
                "redirected (%s) from %s to %s",
                redirect.response.status_code,
                target.redacted,
                new_target.redacted,
            )
            self._emit_trace("redirect", location=new_target.redacted)
            if not new_target.same_host(target):
                # Credentials and cookies stay with the host they were for.
                headers = [(name, value) for name, value in headers if name.lower() not in _PRIVATE_HEADERS]
                authorization = None
            if new_target.username is not None:
                authorization = new_target.authorization()
            target = new_target
            hops += 1

    def _note(self, event, target):
        """Complete and log the events that end or begin a connection."""
        if event.name == "ready":
            event.url = target.redacted
        elif event.name == "disconnected":
            log.info("disconnected from %s: %s", target.redacted, event.reason)
            self._emit_trace("disconnected", reason=event.reason, graceful=event.graceful)

    def _is_redirect(self, response):
        return (
            self.max_redirects > 0
            and response.status_code in _REDIRECT_STATUSES
            and response.get("location") is not None
        )

    def _start_session(self, session_class, options, target, headers, authorization, connect_timeout, deadline):
        handshake = Handshake(
            target.host,
            target.port,
            target.resource,
            secure=target.secure,
            key=make_key(os.urandom(16)),
            protocols=self.protocols,
            compression=self._compression,
            origin=self.origin,
            agent=self.agent,
            headers=headers,
            authorization=authorization,
        )
        return session_class(
            handshake,
            self._random,
            max_size=self.max_size,
            handshake_timeout=None if connect_timeout is None else max(0.001, deadline - monotonic()),
            trace=self._frame_trace if self.trace else None,
            **options
        )

    def _loop(self, session, transport, send_timeout, exit_event):
        """Move bytes and time between the socket and the session.

        Yields the events of each turn as a list, stamped with the time.
        """
        exit_requested = None if exit_event is None else exit_event.is_set
        lock = self._lock
        pending = transport.pending
        wait_readable = transport.wait_readable
        recv_into = transport.recv_into
        tick = session.tick
        wall_clock = time.time
        while not session.is_finished:
            if pending():
                readable = True  # TLS holds decrypted bytes select can't see
            else:
                deadline = session.next_deadline()
                if deadline is None:
                    timeout = MAX_WAIT
                else:
                    timeout = min(MAX_WAIT, max(0.0, deadline - monotonic()))
                if exit_requested is not None and timeout > EXIT_CHECK:
                    timeout = EXIT_CHECK
                readable = wait_readable(timeout)
            with lock:
                if session.is_finished:
                    break
                now = monotonic()
                if exit_requested is not None and exit_requested():
                    exit_requested = None
                    log.info("exit requested: closing %s", self._target.redacted)
                    session.close(Status.GOING_AWAY, b"client exiting", now=now)
                event_list = tick(now)
                if readable and not session.is_finished:
                    try:
                        count = recv_into(session.get_buffer())
                    except TransportFail as error:
                        event_list += session.abort(self._abort_reason or "socket fail; {}".format(error))
                    else:
                        if count:
                            event_list += session.buffer_updated(count)
                        elif count == 0:
                            if self._abort_reason is not None:
                                event_list += session.abort(self._abort_reason)
                            else:
                                event_list += session.feed(b"")
                data = session.data_to_send()
                if data and not transport.closed:
                    try:
                        transport.sendall(data, send_timeout)
                    except TransportFail as error:
                        event_list += session.abort("socket fail; {}".format(error))
                if session.is_finished:
                    transport.close()
            if event_list:
                now = wall_clock()
                for event in event_list:
                    event.received_time = now
                yield event_list

    def _frame_trace(self, record):
        self._emit_trace(record.pop("stage"), **record)

    # -- Sending -------------------------------------------------------

    def _flush(self, session):
        """Send what the session queued; call with the lock held."""
        data = session.data_to_send()
        if not data:
            return
        transport = self._transport
        try:
            transport.sendall(data, self._send_timeout)
        except TransportFail as error:
            # The stream may now hold half a frame: the connection is over.
            # Wake the loop so it ends with a Disconnected event.
            self._abort_reason = "socket fail; {}".format(error)
            transport.shutdown()
            raise

    def _current_session(self):
        session = self._session
        if session is None:
            raise WebSocketUnavailable("not connected; iterate over the WebSocket first")
        return session

    def send_text(self, text, compress=True):
        """Send a text message.

        :param str text: The text.
        :param bool compress: Compress it, if the server agreed to
            compression.
        :raises TypeError: If ``text`` isn't str.
        :raises lomond.errors.WebSocketUnavailable: If not connected (or
            its subclasses WebSocketClosing / WebSocketClosed).
        :raises lomond.errors.TransportFail: If the socket fails.
        """
        with self._lock:
            session = self._session
            if session is None:
                raise WebSocketUnavailable("not connected; iterate over the WebSocket first")
            session.send_text(text, compress)
            self._flush(session)

    def send_binary(self, data, compress=True):
        """Send a binary message.

        :param data: bytes, bytearray or memoryview.
        :param bool compress: Compress it, if the server agreed to
            compression.
        :raises TypeError: For any other type.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        :raises lomond.errors.TransportFail: If the socket fails.
        """
        with self._lock:
            session = self._session
            if session is None:
                raise WebSocketUnavailable("not connected; iterate over the WebSocket first")
            session.send_binary(data, compress)
            self._flush(session)

    def send_json(self, _obj=Ellipsis, **kwargs):
        """Send an object as JSON text.

        Give one object, or keyword arguments for a JSON object::

            ws.send_json({"type": "subscribe"})
            ws.send_json(type="subscribe")

        :raises ValueError: If given both.
        :raises TypeError: If the object can't be encoded as JSON.
        """
        if _obj is Ellipsis:
            obj = kwargs  # no arguments at all sends {}, as in 0.3.4
        elif kwargs:
            raise ValueError("send_json() takes an object or keyword arguments, not both")
        else:
            obj = _obj
        text = json.dumps(obj)
        if isinstance(text, bytes):  # Python 2.7: ASCII with escapes
            text = text.decode("ascii")
        self.send_text(text)

    def send_ping(self, data=b""):
        """Send a ping (up to 125 bytes of data).

        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        """
        with self._lock:
            session = self._current_session()
            session.send_ping(data)
            self._flush(session)

    def send_pong(self, data):
        """Send a pong (up to 125 bytes of data).

        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        """
        with self._lock:
            session = self._current_session()
            session.send_pong(data)
            self._flush(session)

    def close(self, code=Status.NORMAL, reason=b"goodbye"):
        """Start the close handshake; the loop then ends with Closed and
        Disconnected. Safe from any thread; does nothing if there is no
        open connection or a close was already sent.

        :param int code: The close code (1000-1003, 1007-1014, 3000-4999).
        :param reason: Text or bytes; cut to 123 bytes.
        :raises ValueError: For a code that may not be sent.
        """
        with self._lock:
            session = self._session
            if session is None or session.is_finished:
                log.debug("close(): no open connection")
                # Validate anyway: a bad code is a mistake even now.
                if code is None or not is_valid_close_code(code):
                    raise ValueError("close code {!r} may not be sent".format(code))
                return
            session.close(code, reason, now=monotonic())
            self._emit_trace("close_requested", code=code)
            try:
                self._flush(session)
            except TransportFail as error:
                log.debug("close(): %s", error)
            if self._loop_thread is not threading.current_thread() and self._transport is not None:
                self._transport.wake()  # so the close timeout starts counting now

    def force_disconnect(self):
        """Drop the connection without a close handshake.

        The loop ends with Disconnected(graceful=False). Safe from any
        thread.
        """
        with self._lock:
            session = self._session
            if session is None or session.is_finished:
                return
            self._abort_reason = "disconnected; forced by the application"
            self._drop_transport()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Close politely (a close frame, not waiting for the answer) and
        release the socket."""
        with self._lock:
            session = self._session
            if session is not None and not session.is_finished:
                try:
                    session.close(Status.GOING_AWAY, b"", now=monotonic())
                    self._flush(session)
                except Exception:  # the socket may be gone already
                    log.debug("close on exit failed", exc_info=True)
                self._abort_reason = self._abort_reason or "disconnected; the WebSocket was closed"
            self._drop_transport()



def _stamp(event):
    event.received_time = time.time()
    return event

"""What every driver's WebSocket shares: its options, its properties, and
a fresh session for each connection.

The blocking :class:`lomond.websocket.WebSocket` and the asyncio
``lomond.aio.WebSocket`` differ only in how they move bytes and wait; the
options are checked, the state is read and the protocol is set up here,
once, for both.
"""

import logging
import os

import six

from .compression import PerMessageDeflate
from .constants import DEFAULT_MAX_SIZE, USER_AGENT
from .handshake import Handshake, header_value, is_token, make_key, normalize_headers
from .proxy import ProxyURL
from .route import plan_route
from .session import CLOSED, CONNECTING, CLOSING, OPEN, WebsocketSession
from .url import WebSocketURL

log = logging.getLogger("lomond")

class WebSocketBase(object):
    """The options and the state of a WebSocket client, for any driver.

    See :class:`lomond.websocket.WebSocket` for the parameters.
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

        #: The connection of the latest connect() (a driver's object with
        #: ``session`` and ``phase`` attributes), or None.
        self._current = None

    def __repr__(self):
        return "<{} {!r} {}>".format(self.__class__.__name__, self._target.redacted, self.state)

    # -- Properties ----------------------------------------------------

    @property
    def target(self):
        """The parsed URL (a :class:`~lomond.url.WebSocketURL`)."""
        return self._target

    @property
    def state(self):
        """'idle' before the first connection; 'connecting' while
        connecting; then the session's state; 'closed' once a connection
        (or an attempt) has ended."""
        current = self._current
        if current is None:
            return "idle"
        session = current.session
        if session is None:
            return current.phase
        return CLOSED if session.is_finished else session.state

    @property
    def session(self):
        """The :class:`~lomond.session.WebsocketSession` of the current (or
        last) connection, or None."""
        current = self._current
        return None if current is None else current.session

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
        session = self.session
        return None if session is None else session.close_sent_time

    @property
    def supports_compression(self):
        """True when the server accepted permessage-deflate (after Ready)."""
        session = self.session
        return session is not None and session.deflate is not None

    @property
    def key(self):
        """The Sec-WebSocket-Key of the current connection, or None."""
        session = self.session
        return None if session is None else session.handshake.key

    def add_header(self, header, value):
        """Add a header to the upgrade request of later connections.

        :param header: The name, bytes or str.
        :param value: The value, bytes or str.
        :raises ValueError: For a header the handshake manages itself, or a
            value with a line break.
        """
        self.headers.extend(normalize_headers([(header, value)]))

    # -- For the drivers -----------------------------------------------

    def emit_trace(self, stage, **fields):
        """Hand a trace record to the ``trace`` option (user code: call it
        with no lock held)."""
        trace = self.trace
        if not trace:
            return
        record = {"stage": stage, "url": self._target.redacted}
        record.update(fields)
        if callable(trace):
            trace(record)
        else:
            log.debug("TRACE %r", record)

    def emit_notes(self, notes):
        """Log and trace what a session noted (with no lock held)."""
        for note in notes:
            if note[0] == "log":
                _kind, level, message, args = note
                log.log(level, message, *args)
            else:
                record = dict(note[1])
                self.emit_trace(record.pop("stage"), **record)

    def route_to(self, target):
        """The :class:`~lomond.route.Route` to ``target`` with this
        WebSocket's proxy and TLS options.

        :raises lomond.errors.ConnectFail: For a bad proxy or TLS setting.
        """
        return plan_route(
            target,
            self.proxies,
            ssl_verify=self.ssl_verify,
            ssl_cafile=self.ssl_cafile,
            ssl_context=self.ssl_context,
            proxy_ssl_context=self.proxy_ssl_context,
        )

    def new_session(self, session_class, options, hop, random_bytes, handshake_timeout, receive_buffer=None):
        """A session for one hop of a connection.

        :param session_class: A :class:`~lomond.session.WebsocketSession`
            subclass.
        :param options: The :class:`~lomond.options.ConnectOptions`.
        :param hop: The :class:`~lomond.redirect.Hop`.
        :param random_bytes: The source of masking keys.
        :param float handshake_timeout: Seconds left for the upgrade.
        :param bytearray receive_buffer: A receive buffer shared by the
            sessions of one thread, or None.
        """
        target = hop.target
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
            headers=hop.headers,
            authorization=hop.authorization,
        )
        return session_class(
            handshake,
            random_bytes,
            max_size=self.max_size,
            handshake_timeout=handshake_timeout,
            trace=bool(self.trace),
            receive_buffer=receive_buffer,
            **options.session_options()
        )


__all__ = ["WebSocketBase", "WebsocketSession"]

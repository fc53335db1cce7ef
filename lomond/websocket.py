"""The WebSocket: a connection you iterate over for its events.

Iterating over a :class:`WebSocket` (or over :meth:`~WebSocket.connect`)
connects and yields events until the connection ends. ``send_*``,
``close()`` and ``force_disconnect()`` may be called from any thread while
another iterates; none of them waits for the loop, and the loop never
waits for them (see :mod:`lomond.connection` and :mod:`lomond.loop`).
"""

import json
import logging

import six

from .client import WebSocketBase
from .connection import Connection
from .loop import Loop
from .errors import WebSocketUnavailable
from .options import ConnectOptions
from .session import WebsocketSession
from .status import Status, check_close_code

log = logging.getLogger("lomond")


class WebSocket(WebSocketBase):
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
        the default ones (the system's store and certifi's bundle).
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
            Unresponsive and a disconnect (None: no limit). Needs pings.
        :param bool auto_pong: Answer the server's pings automatically.
        :param float close_timeout: Seconds to wait for the server to answer
            a close (None: forever). A close before the connection is ready
            ends the attempt if it isn't ready this long after the call.
        :param float connect_timeout: Seconds for TCP, TLS, the proxy and
            the upgrade together (None: no limit). DNS is bounded by the
            system resolver.
        :param float send_timeout: A send fails (and the connection drops)
            when the server takes no data for this many seconds.
        :param exit_event: A ``threading.Event`` (anything with
            ``is_set``): once it is set, the connection is closed
            gracefully (code 1001), or abandoned if it isn't ready yet.
            Looked at every quarter second.
        :raises ValueError: For a negative time, or ``ping_timeout``
            without ``ping_rate``.
        :raises TypeError: For a time that isn't a number.
        """
        options = ConnectOptions(
            poll=poll,
            ping_rate=ping_rate,
            ping_timeout=ping_timeout,
            auto_pong=auto_pong,
            close_timeout=close_timeout,
            connect_timeout=connect_timeout,
            send_timeout=send_timeout,
            exit_event=exit_event,
        )
        return self._events(session_class, options)

    def __iter__(self):
        return self.connect()

    def _events(self, session_class, options):
        # The loop's own generator: nothing happens until it is iterated
        # (and no generator in between costs time on every event).
        return Loop(lambda: self._begin(options), session_class).events()

    def _begin(self, options):
        previous = self._current
        if previous is not None:
            previous.force()  # a connection left open by an earlier loop
        connection = self._current = Connection(self, options)
        return connection

    def reset(self):
        """Forget the last connection (closing its socket if still open)."""
        connection = self._current
        if connection is not None:
            connection.force()
        self._current = None

    # -- Sending -------------------------------------------------------

    def _live(self):
        connection = self._current
        if connection is None:
            raise WebSocketUnavailable("not connected; iterate over the WebSocket first")
        return connection

    def send_text(self, text, compress=True):
        """Send a text message.

        Returns once the socket has taken the whole message.

        :param str text: The text.
        :param bool compress: Compress it, if the server agreed to
            compression.
        :raises TypeError: If ``text`` isn't str.
        :raises lomond.errors.WebSocketUnavailable: If not connected (or
            its subclasses WebSocketClosing / WebSocketClosed).
        :raises lomond.errors.TransportFail: If the socket fails, or the
            connection is dropped before the message has gone.
        """
        if not isinstance(text, six.text_type):
            raise TypeError(
                "send_text() takes text ({}), not {}; use send_binary() for bytes".format(
                    six.text_type.__name__, type(text).__name__
                )
            )
        self._live().send(WebsocketSession.send_text, (text, compress))

    def send_binary(self, data, compress=True):
        """Send a binary message.

        Returns once the socket has taken the whole message.

        :param data: bytes, bytearray or memoryview.
        :param bool compress: Compress it, if the server agreed to
            compression.
        :raises TypeError: For any other type.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        :raises lomond.errors.TransportFail: If the socket fails.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                "send_binary() takes bytes, bytearray or memoryview, not {}".format(type(data).__name__)
            )
        self._live().send(WebsocketSession.send_binary, (data, compress))

    def send_json(self, _obj=Ellipsis, **kwargs):
        """Send an object as JSON text.

        Give one object, or keyword arguments for a JSON object::

            ws.send_json({"type": "subscribe"})
            ws.send_json(type="subscribe")

        :raises ValueError: If given both, or for NaN or infinity (not
            JSON).
        :raises TypeError: If the object can't be encoded as JSON.
        """
        self.send_text(json_text(_obj, kwargs))

    def send_ping(self, data=b""):
        """Send a ping (up to 125 bytes of data).

        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        """
        self._live().send(WebsocketSession.send_ping, (data,))

    def send_pong(self, data):
        """Send a pong (up to 125 bytes of data).

        :raises TypeError: If ``data`` isn't bytes.
        :raises ValueError: If it is over 125 bytes.
        :raises lomond.errors.WebSocketUnavailable: If not connected.
        """
        self._live().send(WebsocketSession.send_pong, (data,))

    # -- Ending --------------------------------------------------------

    def close(self, code=Status.NORMAL, reason=b"goodbye"):
        """Start the close handshake; the loop then ends with Closed and
        Disconnected. Safe from any thread, in any phase.

        Before the connection is ready, the close is sent as soon as it is,
        and the attempt ends if it isn't ready ``close_timeout`` seconds
        after this call. Does nothing if there is no connection or a close
        was already sent.

        :param int code: The close code (1000-1003, 1007-1014, 3000-4999).
        :param reason: Text or bytes; cut to 123 bytes.
        :raises TypeError: For a code that isn't an int.
        :raises ValueError: For a code that may not be sent.
        """
        check_close_code(code)  # a mistake even with no connection
        connection = self._current
        if connection is None or connection.phase == "closed":
            log.debug("close(): no open connection")
            return
        connection.close(code, reason)

    def force_disconnect(self):
        """Drop the connection (or the attempt) without a close handshake.

        Returns at once, from any thread, in any phase: the loop ends with
        Disconnected(graceful=False) (ConnectFail before the connection
        was made), and a send blocked in another thread raises
        TransportFail.
        """
        connection = self._current
        if connection is not None and connection.phase != "closed":
            connection.force()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Close politely (a close frame, not waiting for the answer) and
        release the socket."""
        connection = self._current
        if connection is not None:
            connection.exit_now()


def json_text(obj, kwargs):
    """The JSON text that ``send_json(obj, **kwargs)`` sends.

    :raises ValueError: For both an object and keywords, or for NaN and
        infinity, which JSON doesn't have (RFC 8259 6).
    """
    if obj is Ellipsis:
        obj = kwargs  # no arguments at all sends {}, as in 0.3.4
    elif kwargs:
        raise ValueError("send_json() takes an object or keyword arguments, not both")
    try:
        text = json.dumps(obj, allow_nan=False)
    except ValueError:
        json.dumps(obj)  # raises again if the problem isn't NaN or infinity
        raise ValueError(
            "send_json() can't send NaN or infinity: JSON has no such numbers; send null or a string instead"
        )
    if isinstance(text, bytes):  # Python 2.7: ASCII with escapes
        text = text.decode("ascii")
    return text


__all__ = ["WebSocket"]

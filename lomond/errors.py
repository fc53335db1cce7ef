"""Exceptions raised by Lomond.

A caller's mistake raises at once; something the network or the server did
becomes an event instead (see :mod:`lomond.events`). Inside the library the
protocol errors below carry the close code that should be sent to the peer.

::

    WebSocketError
     +-- FrameBuildError          a frame that cannot be encoded
     +-- HandshakeError           the upgrade response is unacceptable
     |    +-- CompressionParameterError
     +-- ProtocolError            the peer broke the protocol (has .code)
     |    +-- PayloadTooLarge     a frame or message over a limit
     |    +-- Utf8Error           text that is not valid UTF-8
     +-- CriticalProtocolError    the byte stream can't be trusted any more
     +-- ConnectFail              no connection could be made
     |    +-- ProxyFail           the proxy refused or failed
     +-- TransportFail            the socket failed while sending
     +-- WebSocketUnavailable     sending with no open connection
          +-- WebSocketClosed     ... because it closed
          +-- WebSocketClosing    ... because it is closing

Messages are plain strings. (Lomond 0.3.4 ran ``str.format`` on them, so a
message with a brace in it raised ``KeyError``.)
"""

from .status import Status


class WebSocketError(Exception):
    """Base class of every exception Lomond raises."""


class FrameBuildError(WebSocketError):
    """A frame could not be built (the payload is 2**63 bytes or more)."""


class HandshakeError(WebSocketError):
    """The server's response to the upgrade request is not acceptable."""


class CompressionParameterError(HandshakeError):
    """The server answered the compression offer with invalid parameters."""


class ProtocolError(WebSocketError):
    """The peer broke RFC 6455; ``code`` is the close code to answer with.

    :param str msg: What went wrong.
    :param int code: The close status to send.
    """

    default_code = Status.PROTOCOL_ERROR

    def __init__(self, msg, code=None):
        super(ProtocolError, self).__init__(msg)
        self.code = self.default_code if code is None else code


class PayloadTooLarge(ProtocolError):
    """A frame or message is larger than the limit (or than 2**63)."""

    default_code = Status.MESSAGE_TOO_LARGE


class Utf8Error(ProtocolError):
    """Text (a message or a close reason) is not valid UTF-8."""

    default_code = Status.BAD_DATA


class CriticalProtocolError(WebSocketError):
    """The peer broke framing; nothing after this point can be parsed.

    A sibling of :class:`ProtocolError`, as in 0.3.4.
    """

    def __init__(self, msg, code=Status.PROTOCOL_ERROR):
        super(CriticalProtocolError, self).__init__(msg)
        self.code = code


class ConnectFail(WebSocketError):
    """A connection could not be established (DNS, TCP, TLS or proxy)."""


class ProxyFail(ConnectFail):
    """The proxy refused the tunnel or broke the protocol."""


class TransportFail(WebSocketError):
    """A socket error (or a send that timed out) while sending."""


class WebSocketUnavailable(WebSocketError):
    """Data can't be sent because there is no open WebSocket."""


class WebSocketClosed(WebSocketUnavailable):
    """Data can't be sent because the WebSocket has closed."""


class WebSocketClosing(WebSocketUnavailable):
    """Data can't be sent because the WebSocket is closing."""

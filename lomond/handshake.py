"""The opening handshake: the upgrade request and the checks on its answer.

RFC 6455 4.1 says what a client sends and what it must verify in the
server's response before it may speak WebSocket; each check below quotes
the rule it enforces.
"""

import base64
import hashlib

import six

from .compression import EXTENSION_NAME
from .constants import USER_AGENT, WS_KEY, WS_VERSION
from .errors import CompressionParameterError, HandshakeError
from .extension import ExtensionSyntaxError, parse_extensions

# Headers that the handshake writes itself: setting them by hand would
# break the protocol, so the caller gets an error pointing to the option.
_MANAGED = {
    "upgrade": "it is always 'websocket'",
    "connection": "it is always 'Upgrade'",
    "sec-websocket-key": "it is generated for each connection",
    "sec-websocket-version": "it is always 13",
    "sec-websocket-accept": "it is a response header",
    "sec-websocket-extensions": "use the compress option",
    "sec-websocket-protocol": "use the protocols option",
}


def make_key(nonce):
    """The Sec-WebSocket-Key for 16 random bytes (RFC 6455 4.1).

    :param bytes nonce: 16 random bytes from the caller.
    :rtype: bytes
    :raises ValueError: If ``nonce`` is not 16 bytes.
    """
    if len(nonce) != 16:
        raise ValueError("the nonce must be 16 random bytes")
    return base64.b64encode(nonce)


def accept_key(key):
    """The Sec-WebSocket-Accept value the server must answer ``key`` with.

    :param bytes key: The Sec-WebSocket-Key sent.
    :rtype: str
    """
    digest = hashlib.sha1(key + WS_KEY).digest()
    return base64.b64encode(digest).decode("ascii")


# RFC 7230 3.2.6: a token (a header name, a subprotocol) is one or more
# tchar.
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# RFC 7230 3.2: a field value is visible characters, spaces, tabs and
# obs-text (0x80-0xFF); any other control character can't be sent, and a
# line break would end the header (or forge another one).
_CONTROL_BYTES = frozenset(list(range(0x00, 0x09)) + list(range(0x0A, 0x20)) + [0x7F])


def is_token(text):
    """Tell if ``text`` is an RFC 7230 token, as header names and
    subprotocol names must be.

    :param str text: The name.
    :rtype: bool
    """
    return bool(text) and isinstance(text, six.string_types) and set(text) <= _TOKEN_CHARS


def header_value(value, name):
    """Check a header value and return it as bytes.

    The messages name the header but never show the value, which may be
    a secret.

    :param value: str (latin-1 characters only) or bytes.
    :param str name: The header's name, for the messages.
    :rtype: bytes
    :raises ValueError: For a character that can't be sent: a line break or
        another control character, or text outside latin-1.
    :raises TypeError: For a value that is neither str nor bytes.
    """
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, six.text_type):
        try:
            data = value.encode("latin-1")
        except UnicodeEncodeError as error:
            raise ValueError(
                "the {} header value has a character that can't be sent (at index {}): header values "
                "are latin-1 text; encode it first, e.g. percent-encode it, or pass bytes".format(
                    name, error.start
                )
            )
    else:
        raise TypeError("the {} header value must be str or bytes, not {}".format(name, type(value).__name__))
    for index, byte in enumerate(bytearray(data)):
        if byte in _CONTROL_BYTES:
            raise ValueError(
                "the {} header value contains the control character {!r} (at index {}): a header "
                "value must be printable text on one line".format(name, chr(byte), index)
            )
    return data


def _header_name(name):
    """Check a header name (an RFC 7230 token) and return it as bytes."""
    if isinstance(name, bytes):
        text = name.decode("latin-1")
    elif isinstance(name, six.text_type):
        text = name
    else:
        raise TypeError("a header name must be str or bytes, not {}".format(type(name).__name__))
    if not is_token(text):
        raise ValueError(
            "invalid header name {!r}: use letters, digits and !#$%&'*+-.^_`|~ only".format(text)
        )
    reason = _MANAGED.get(text.lower())
    if reason is not None:
        raise ValueError("the {} header can't be set by hand: {}".format(text, reason))
    return text.encode("ascii")


def normalize_headers(headers):
    """Check extra request headers and return them as a list of byte pairs.

    :param headers: A dict or an iterable of ``(name, value)`` pairs, with
        str or bytes names and values.
    :rtype: list
    :raises ValueError: For a header the handshake manages itself, a name
        that isn't an RFC 7230 token, or a value :func:`header_value`
        refuses.
    :raises TypeError: For a name or value that is neither str nor bytes.
    """
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    result = []
    for name, value in items:
        name = _header_name(name)
        result.append((name, header_value(value, name.decode("ascii"))))
    return result


def is_printable_ascii(text):
    """Tell if ``text`` is non-empty printable ASCII (no space, no control
    character), as a request target and a Host value must be.

    :param str text: The text.
    :rtype: bool
    """
    return bool(text) and isinstance(text, six.string_types) and all(0x21 <= ord(char) <= 0x7E for char in text)


def host_header(host, port, secure):
    """The Host header value: IPv6 literals in brackets, the port only
    when it isn't the scheme's default (RFC 6455 4.1, RFC 7230 5.4).

    :rtype: str
    """
    if ":" in host and not host.startswith("["):
        host = "[{}]".format(host)
    if port == (443 if secure else 80):
        return host
    return "{}:{}".format(host, port)


#: The extensions in use, as sets that every connection can share.
_NO_EXTENSIONS = frozenset()
_DEFLATE_ONLY = frozenset([EXTENSION_NAME])


class Handshake(object):
    """One client opening handshake.

    Every value is checked and encoded when the handshake is made, so
    :meth:`request` can't fail.

    :param str host: The server's host name in ASCII form (see
        ``host`` of :class:`lomond.url.WebSocketURL`) or IP address.
    :param int port: The server's port.
    :param str resource: The path and query, percent-encoded, e.g.
        ``'/feed?x=1'`` (see ``resource`` of
        :class:`lomond.url.WebSocketURL`).
    :param bool secure: True for ``wss://``.
    :param bytes key: The Sec-WebSocket-Key (see :func:`make_key`).
    :param list protocols: Subprotocols to offer, in order of preference.
    :param compression: A :class:`~lomond.compression.PerMessageDeflate`
        to offer, or None.
    :param str origin: An Origin header value, or None.
    :param str agent: The User-Agent, or None to send none.
    :param list headers: Extra headers from :func:`normalize_headers`; a
        Host, User-Agent, Origin or Authorization among them replaces the
        generated one.
    :param str authorization: An Authorization header value (e.g. Basic
        credentials from the URL), or None.
    :raises ValueError: For a value that can't be sent: a host that isn't
        ASCII, a resource that isn't printable ASCII, a header value that
        :func:`header_value` refuses, or a subprotocol that isn't a token.
    """

    __slots__ = [
        "host",
        "port",
        "resource",
        "secure",
        "key",
        "protocols",
        "compression",
        "origin",
        "agent",
        "headers",
        "authorization",
    ]

    def __init__(
        self,
        host,
        port,
        resource,
        secure=False,
        key=None,
        protocols=(),
        compression=None,
        origin=None,
        agent=USER_AGENT,
        headers=(),
        authorization=None,
    ):
        self.host = host
        self.port = port
        self.resource = resource
        self.secure = secure
        self.key = key
        self.protocols = tuple(protocols)
        self.compression = compression
        self.origin = origin
        self.agent = agent
        self.headers = tuple(headers)
        self.authorization = authorization
        self._encode()  # every value is checked now, not when sent

    def _encode(self):
        """Build the request bytes, checking every value on the way."""
        extra = self.headers
        given = set(name.lower() for name, _value in extra)
        # RFC 7230 5.3.1: the origin-form, "absolute-path [ "?" query ]",
        # is printable ASCII (WebSocketURL percent-encodes the rest).
        if not is_printable_ascii(self.resource):
            raise ValueError(
                "the resource {!r} must be percent-encoded printable ASCII (see "
                "lomond.url.quote_resource)".format(self.resource)
            )
        lines = [b"GET " + self.resource.encode("ascii") + b" HTTP/1.1"]

        def add(name, value):
            if value is not None and name.lower() not in given:
                lines.append(name + b": " + header_value(value, name.decode("ascii")))

        host = host_header(self.host, self.port, self.secure)
        if not is_printable_ascii(host):
            raise ValueError(
                "the host {!r} must be in ASCII form (see lomond.url.ascii_host)".format(self.host)
            )
        add(b"Host", host)
        lines.append(b"Upgrade: websocket")
        lines.append(b"Connection: Upgrade")
        if not isinstance(self.key, bytes):
            raise TypeError("the key must be bytes (see make_key)")
        lines.append(b"Sec-WebSocket-Key: " + self.key)
        lines.append(b"Sec-WebSocket-Version: " + str(WS_VERSION).encode("ascii"))
        add(b"Origin", self.origin)
        if self.protocols:
            for protocol in self.protocols:
                if not is_token(protocol):
                    raise ValueError("invalid subprotocol name {!r}".format(protocol))
            lines.append(b"Sec-WebSocket-Protocol: " + ", ".join(self.protocols).encode("ascii"))
        if self.compression is not None:
            lines.append(
                b"Sec-WebSocket-Extensions: "
                + self.compression.offer().encode("ascii")
            )
        add(b"Authorization", self.authorization)
        add(b"User-Agent", self.agent)
        for name, value in extra:
            lines.append(name + b": " + value)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def request(self):
        """The upgrade request, ready to send (built when the handshake
        was made).

        :rtype: bytes
        """
        return self._encode()

    def validate(self, response):
        """Check the server's answer (RFC 6455 4.1, the client's checks).

        :param response: The :class:`~lomond.response.Response`.
        :returns: ``(protocol, extensions, deflate)``: the chosen
            subprotocol or None, the set of extension names, and the
            :class:`~lomond.compression.Deflate` codec or None.
        :raises lomond.errors.HandshakeError: Saying what is wrong.
        """
        if response.status_code != 101:
            raise HandshakeError(
                "server answered {} instead of 101 Switching Protocols".format(
                    "{} {}".format(response.status_code, response.status).rstrip()
                )
            )
        # "If the response lacks an |Upgrade| header field or the |Upgrade|
        # header field contains a value that is not an ASCII case-
        # insensitive match for the value "websocket", the client MUST
        # _Fail the WebSocket Connection_."
        upgrade = response.get("upgrade")
        if upgrade is None or upgrade.strip().lower() != "websocket":
            raise HandshakeError("can't upgrade to {!r}".format(upgrade))
        # "... lacks a |Connection| header field or the |Connection| header
        # field doesn't contain a token that is an ASCII case-insensitive
        # match for the value "Upgrade" ..."
        tokens = [token.lower() for token in response.get_list("connection")]
        if "upgrade" not in tokens:
            raise HandshakeError("Connection header does not contain 'upgrade'")
        # "... the |Sec-WebSocket-Accept| contains a value other than the
        # base64-encoded SHA-1 of the concatenation of the
        # |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
        # string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ..." (Base64 is
        # case-sensitive; 0.3.4 compared it ignoring case.)
        accept = response.get("sec-websocket-accept")
        if accept is None:
            raise HandshakeError("Sec-WebSocket-Accept is missing")
        if accept.strip() != accept_key(self.key):
            raise HandshakeError("Sec-WebSocket-Accept does not match the key")
        protocol = self._check_protocol(response)
        extensions, deflate = self._check_extensions(response)
        return protocol, extensions, deflate

    def _check_protocol(self, response):
        # "If the response includes a |Sec-WebSocket-Protocol| header field
        # and this header field indicates the use of a subprotocol that was
        # not present in the client's handshake ... the client MUST _Fail
        # the WebSocket Connection_."
        chosen = response.get_list("sec-websocket-protocol")
        if not chosen:
            return None
        if len(chosen) > 1:
            raise HandshakeError("server chose more than one subprotocol: {}".format(", ".join(chosen)))
        if chosen[0] not in self.protocols:
            raise HandshakeError("server chose subprotocol {!r}, which was not offered".format(chosen[0]))
        return chosen[0]

    def _check_extensions(self, response):
        # "If the response includes a |Sec-WebSocket-Extensions| header
        # field and this header field indicates the use of an extension
        # that was not present in the client's handshake ... the client
        # MUST _Fail the WebSocket Connection_."
        value = response.get("sec-websocket-extensions")
        if value is None:
            return _NO_EXTENSIONS, None
        try:
            accepted = parse_extensions(value)
        except ExtensionSyntaxError as error:
            raise HandshakeError("malformed Sec-WebSocket-Extensions: {}".format(error))
        deflate = None
        for name, params in accepted:
            if name != EXTENSION_NAME or self.compression is None:
                raise HandshakeError("server chose extension {!r}, which was not offered".format(name))
            if deflate is not None:
                raise CompressionParameterError("server accepted permessage-deflate twice")
            deflate = self.compression.accept(params)
        return (_DEFLATE_ONLY if deflate else _NO_EXTENSIONS), deflate

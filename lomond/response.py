"""The HTTP heads of the upgrade (RFC 7230 section 3): the response a
client reads, and the request a server reads (for :mod:`lomond.testing`),
with one set of rules for both."""

import re

from .constants import MAX_RESPONSE_HEAD, MAX_RESPONSE_HEADERS
from .errors import HandshakeError
from .parser import Parser, ReadUntil

_STATUS_LINE = re.compile(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")

# Strings that nearly every upgrade response repeats (header names in
# lower case, common values, the status line's parts): a parsed head
# refers to these shared copies instead of keeping its own, which matters
# when a process holds thousands of connections. A fixed table, so that
# a peer can't make it grow.
_SHARED = dict(
    (text, text)
    for text in (
        "upgrade",
        "connection",
        "sec-websocket-accept",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-version",
        "server",
        "date",
        "content-length",
        "content-type",
        "transfer-encoding",
        "cache-control",
        "retry-after",
        "location",
        "www-authenticate",
        "proxy-authenticate",
        "set-cookie",
        "via",
        "websocket",
        "WebSocket",
        "Upgrade",
        "permessage-deflate",
        "13",
        "0",
        "HTTP/1.1",
        "HTTP/1.0",
        "Switching Protocols",
        "OK",
    )
)


def split_list(value):
    """Split a comma-separated header value, respecting quoted strings.

    :param str value: e.g. ``'a, "b, c", d'``
    :rtype: list
    """
    items = []
    current = []
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


class Head(object):
    """An HTTP/1.x head: the start line and the header fields.

    ``headers`` maps lower-case names to str values; a repeated header's
    values are joined with ``", "``. ``raw_headers`` keeps the ``(name,
    value)`` pairs in order, as sent.
    """

    __slots__ = ["raw", "headers", "raw_headers"]

    #: What the head is, for error messages.
    kind = "head"
    #: Keep ``raw_headers`` (the test server wants them; a client doesn't).
    keep_raw_headers = True

    def __init__(self, header_data):
        self.raw = header_data
        text = header_data.decode("latin-1")
        # RFC 7230 3.5: a recipient may take a lone LF as the end of a
        # line and ignore a CR before it.
        lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        self._start(lines[0])
        self.headers = {}
        self.raw_headers = [] if self.keep_raw_headers else ()
        count = 0
        last = None
        for line in lines[1:]:
            if not line:
                continue
            if line[0] in " \t":
                # RFC 7230 3.2.4: obsolete line folding; unfold it.
                if last is None:
                    raise HandshakeError("{} starts with a folded header line".format(self.kind))
                self.headers[last] += " " + line.strip()
                continue
            name, colon, value = line.partition(":")
            if not colon or not _HEADER_NAME.match(name):
                raise HandshakeError("malformed header line {!r}".format(line[:60]))
            count += 1
            if count > MAX_RESPONSE_HEADERS:
                raise HandshakeError("{} has more than {} headers".format(self.kind, MAX_RESPONSE_HEADERS))
            value = value.strip(" \t")
            value = _SHARED.get(value, value)
            if self.keep_raw_headers:
                self.raw_headers.append((name, value))
            name = name.lower()
            last = name = _SHARED.get(name, name)
            if name in self.headers:
                self.headers[name] += ", " + value
            else:
                self.headers[name] = value

    def _start(self, line):
        raise NotImplementedError

    def get(self, name, default=None):
        """Get a header value by (case-insensitive) name.

        :param str name: The header name.
        :param default: What to return if it is missing.
        """
        return self.headers.get(name.lower(), default)

    def get_list(self, name):
        """Get a comma-separated header as a list of values.

        :param str name: The header name.
        :rtype: list
        """
        value = self.headers.get(name.lower())
        return [] if value is None else split_list(value)


class Response(Head):
    """A parsed HTTP response head.

    :param bytes header_data: The head, up to and including the blank line.
    :param bytes body: Whatever body bytes arrived with the head.
    :raises lomond.errors.HandshakeError: If it isn't an HTTP/1.x response
        or has more than ``MAX_RESPONSE_HEADERS`` headers.

    ``headers`` maps lower-case names to str values; a repeated header's
    values are joined with ``", "``.
    """

    __slots__ = ["body", "http_ver", "status_code", "status"]

    kind = "response"
    keep_raw_headers = False

    def __init__(self, header_data, body=b""):
        Head.__init__(self, header_data)
        self.body = body

    def _start(self, line):
        match = _STATUS_LINE.match(line)
        if match is None:
            raise HandshakeError("not an HTTP response (it starts {!r})".format(line[:40]))
        http_ver, code, status = match.groups()
        self.http_ver = _SHARED.get(http_ver, http_ver)
        self.status_code = int(code)
        self.status = _SHARED.get(status, status) if status else ""

    def __repr__(self):
        return "<response {} {} {}>".format(self.http_ver, self.status_code, self.status)


class Request(Head):
    """A parsed HTTP request head (the server's side of the upgrade, for
    :mod:`lomond.testing`).

    :ivar str method: e.g. ``'GET'``.
    :ivar str path: The resource, e.g. ``'/chat?x=1'``.
    :ivar str version: e.g. ``'HTTP/1.1'``.
    :raises lomond.errors.HandshakeError: If the request line is malformed
        or there are too many headers.
    """

    __slots__ = ["method", "path", "version"]

    kind = "request"

    def _start(self, line):
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise HandshakeError("not an HTTP request (it starts {!r})".format(line[:40]))
        self.method, self.path, self.version = parts

    def __repr__(self):
        return "<Request {} {}>".format(self.method, self.path)


class HeadParser(Parser):
    """Parse one head (at most ``MAX_RESPONSE_HEAD`` bytes).

    ``feed()`` returns the head object once it is complete; the bytes
    after it are left for :meth:`~lomond.parser.Parser.unconsumed`.
    """

    __slots__ = []

    head_class = None
    #: A head is small: start small (the buffer grows if it must).
    buffer_size = 4096

    def parse(self):
        # The head ends at the first empty line. Lines are read one at a
        # time because either CRLF or a lone LF may end each one (RFC 7230
        # 3.5); each read may use only what is left of the size limit.
        lines = []
        size = 0
        overflow = "{} head over {} bytes".format(self.head_class.kind, MAX_RESPONSE_HEAD)
        while True:
            line = yield ReadUntil(b"\n", MAX_RESPONSE_HEAD - size, overflow)
            lines.append(line)
            size += len(line)
            if line == b"\n" or line == b"\r\n":
                break
        yield self.head_class(b"".join(lines))


class ResponseParser(HeadParser):
    """Parse one response head (at most ``MAX_RESPONSE_HEAD`` bytes).

    ``feed()`` returns ``[Response]`` once the head is complete; the bytes
    after it are left for :meth:`~lomond.parser.Parser.unconsumed`.
    """

    __slots__ = []

    head_class = Response


class RequestParser(HeadParser):
    """Parse one request head, as :class:`ResponseParser` does a response
    (for the server role of :mod:`lomond.testing`)."""

    __slots__ = []

    head_class = Request

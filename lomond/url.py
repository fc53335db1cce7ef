"""WebSocket URLs: parsing, redacting, and following redirects.

Everything a URL holds is checked and put in the form it takes on the
wire when the URL is parsed, so nothing about it can fail later, inside
the event loop: the host becomes its ASCII (IDNA) form, the path and query
are percent-encoded as UTF-8, and control characters are refused.

:func:`redact` is the one place a URL becomes text for a message, a log
line or a repr: it hides the password.
"""

import base64
import collections
import re
import string

import six
from six.moves.urllib.parse import unquote, urljoin

DEFAULT_PORTS = {"ws": 80, "wss": 443}

# A redirect to an http(s) URL means the same endpoint over ws(s).
_REDIRECT_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}

# RFC 3986 3.2.2: a reg-name is unreserved characters and sub-delims
# (percent-escapes aside, which no resolver understands).
_HOST_CHARS = frozenset(string.ascii_lowercase + string.digits + "-._~!$&'()*+,;=")

# An IPv6 literal, with an optional zone (RFC 6874), between brackets.
_IPV6 = re.compile(r"^[0-9a-f:.]*:[0-9a-f:.]*(%[0-9a-z._~%-]+)?$")

# RFC 3986 3.3 and 3.4: what may appear raw in a path and query.
# Everything else is percent-encoded from UTF-8, as browsers and the
# requests library do.
_RESOURCE_SAFE = frozenset(
    bytearray((string.ascii_letters + string.digits + "-._~" + ":@/?[]" + "!$&'()*+,;=").encode("ascii"))
)
_HEX_DIGITS = frozenset(bytearray(b"0123456789abcdefABCDEF"))

# A host and an optional port, as redact() expects them (anything else
# means the authority is malformed).
_HOST_PORT = re.compile(r"^(\[[^\]]*\]|[^:\[\]]*)(:[0-9]*)?$")


class RedirectError(ValueError):
    """A redirect that must not be followed."""


#: The schemes this module meets, by name.
_SCHEMES = {"ws": "ws", "wss": "wss", "http": "http", "https": "https", "socks4": "socks4", "socks4a": "socks4a", "socks5": "socks5", "socks5h": "socks5h"}

def redact(url):
    """Replace the password in a URL's userinfo with ``***``.

    Works on any URL-like text, malformed or not, so it is safe to call
    before the URL is checked: ``wss://user:pw@host/`` becomes
    ``wss://user:***@host/``, and a proxy written without a scheme,
    ``user:pw@proxy:3128``, becomes ``user:***@proxy:3128``. A password
    holding a ``/``, ``?`` or ``#`` that wasn't percent-encoded is hidden
    too, when it leaves the host and port malformed.

    :param str url: The text of a URL.
    :returns: The same text, without the password.
    :rtype: str
    """
    scheme_end = url.find("://")
    if scheme_end >= 0:
        start = scheme_end + 3
    elif url.startswith("//"):
        start = 2
    else:
        start = 0  # "user:pass@proxy:3128", as proxies may be written
    end = len(url)
    for delimiter in "/?#":
        found = url.find(delimiter, start)
        if 0 <= found < end:
            end = found
    at = url.rfind("@", start, end)
    if not _HOST_PORT.match(url[(at + 1 if at >= 0 else start) : end]):
        # The authority ends too soon to make sense: a delimiter inside
        # the password, most likely. Take the userinfo up to the last @.
        at = url.rfind("@", start)
    if at < 0:
        return url
    colon = url.find(":", start, at)
    if colon < 0:
        return url
    return url[: colon + 1] + "***" + url[at:]


def ascii_host(name):
    """The ASCII form of a host name, in lower case.

    An internationalised name is converted with IDNA (RFC 3490, Python's
    ``idna`` codec): ``b\\u00fccher.example`` becomes
    ``xn--bcher-kva.example``. This is the form DNS, the Host header, TLS
    (SNI and the certificate check) and a proxy's CONNECT line use.

    :param str name: A host name (not an IP address literal).
    :rtype: str
    :raises ValueError: If the name is not a valid internationalised
        name, or has a character a host name can't have.
    """
    try:
        name.encode("ascii")
        converted = name
    except UnicodeError:
        try:
            converted = name.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise ValueError("{!r} is not a valid internationalised host name ({})".format(name, error))
    converted = converted.lower()
    for char in converted:
        if char not in _HOST_CHARS:
            raise ValueError(
                "the host name {!r} contains {!r}, which a host name can't contain".format(name, char)
            )
    return str(converted)


def quote_resource(resource):
    """Percent-encode a path and query for the request line.

    Characters outside RFC 3986's unreserved and reserved sets (a space,
    non-ASCII text, ``"<>\\\\^`{|}``) are encoded as UTF-8 escapes:
    ``/chat/\\u20ac?q=a b`` becomes ``/chat/%E2%82%AC?q=a%20b``. Escapes
    already there are kept (``%20`` stays ``%20``); a ``%`` that doesn't
    start one becomes ``%25``.

    :param str resource: The path and query.
    :rtype: str
    :raises ValueError: If the text can't be encoded as UTF-8 (a lone
        surrogate).
    """
    try:
        data = bytearray(resource.encode("utf-8"))
    except UnicodeError:
        raise ValueError("the path or query {!r} can't be encoded as UTF-8".format(resource))
    out = []
    for index, byte in enumerate(data):
        if byte in _RESOURCE_SAFE:
            out.append(chr(byte))
        elif byte == 0x25 and len(data) > index + 2 and set(data[index + 1 : index + 3]) <= _HEX_DIGITS:
            out.append("%")
        else:
            out.append("%{:02X}".format(byte))
    return str("".join(out))


SplitURL = collections.namedtuple(
    "SplitURL", ["scheme", "username", "password", "host", "port", "path", "query", "fragment"]
)


def split_url(url, schemes, what="URL", default_scheme=None):
    """Split and check a URL that has an authority (``scheme://host...``).

    Every error message shows the URL through :func:`redact`, and
    control characters only escaped.

    :param str url: The URL (bytes are taken as UTF-8 on Python 2).
    :param schemes: The schemes allowed, in lower case.
    :param str what: What the URL is for error messages: ``'URL'``, or a
        word such as ``'proxy'`` (``unsupported proxy scheme ...``, ``the
        proxy URL ...``).
    :param str default_scheme: The scheme of a URL written without one
        (``'proxy:3128'``), or None to require one.
    :returns: A :class:`SplitURL`: the scheme in lower case; the user and
        password percent-decoded (None when absent); the host in its ASCII
        form (:func:`ascii_host`; an IPv6 address without brackets); the
        port as an int, or None if not given; the path, query and
        fragment as written (the fragment is None without a ``#``).
    :raises ValueError: For a control character, another scheme, a
        missing or malformed host, or a malformed port.
    :raises TypeError: If ``url`` is not a str.
    """
    label = what if what == "URL" else what + " URL"
    text = _as_text(url, label)
    _check_controls(text, label)
    shown = redact(text)
    if "://" not in text and default_scheme is not None:
        scheme, rest = default_scheme, "//" + text
    else:
        scheme, _colon, rest = text.partition(":")
    if scheme.lower() not in schemes:
        names = sorted(name + "://" for name in schemes)
        if len(names) > 1:
            names = [", ".join(names[:-1]), names[-1]]
        raise ValueError(
            "unsupported {} scheme {!r} in {!r}; use {}".format(what, scheme, shown, " or ".join(names))
        )
    if not rest.startswith("//"):
        raise ValueError("the {} {!r} has no host".format(label, shown))
    rest, hash_mark, fragment = rest[2:].partition("#")
    end = min([len(rest)] + [rest.find(char) for char in "/?" if char in rest])
    netloc, rest = rest[:end], rest[end:]
    path, _question_mark, query = rest.partition("?")
    userinfo, at, hostport = netloc.rpartition("@")
    try:
        host, port = _split_host_port(hostport)
    except ValueError as error:
        raise ValueError("the {} {!r} {}".format(label, shown, error))
    if not host:
        raise ValueError("the {} {!r} has no host".format(label, shown))
    username = password = None
    if at:
        username, colon, password = userinfo.partition(":")
        username = _unquote(username)
        password = _unquote(password) if colon else None
    scheme = scheme.lower()
    scheme = _SCHEMES.get(scheme, scheme)  # (one shared copy, not one per URL)
    return SplitURL(scheme, username, password, host, port, path, query, fragment if hash_mark else None)


class WebSocketURL(object):
    """A parsed ``ws://`` or ``wss://`` URL.

    ``url`` is the URL as given; ``host`` its host in ASCII form (IDNA for
    an internationalised name, lower case, no brackets around an IPv6
    address) and ``resource`` the path and query percent-encoded for the
    request line (see :func:`quote_resource`).

    :param str url: The URL.
    :raises ValueError: For another scheme, a missing or invalid host, a
        bad port, a control character, or a fragment (RFC 6455 3:
        fragments must not be used).
    :raises TypeError: If ``url`` is not a str.
    """

    __slots__ = ["url", "scheme", "host", "port", "resource", "username", "password"]

    def __init__(self, url):
        parts = split_url(url, DEFAULT_PORTS)
        if parts.fragment is not None:
            raise ValueError(
                "the URL {!r} has a fragment (#); remove it or escape it as %23".format(redact(url))
            )
        self.url = url
        self.scheme = str(parts.scheme)
        self.host = parts.host
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.resource = quote_resource((parts.path or "/") + ("?" + parts.query if parts.query else ""))
        self.username = parts.username
        self.password = parts.password

    def __repr__(self):
        return "WebSocketURL({!r})".format(self.redacted)

    @property
    def secure(self):
        """True for wss://."""
        return self.scheme == "wss"

    @property
    def redacted(self):
        """The URL as given, with any password replaced by ``***`` (see
        :func:`redact`), for logs and events."""
        return redact(self.url)

    def authorization(self):
        """Basic credentials from the URL's userinfo, or None.

        :rtype: str
        """
        if self.username is None:
            return None
        credentials = "{}:{}".format(self.username, self.password or "")
        return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")

    def same_host(self, other):
        """True if ``other`` is the same host and port."""
        return (self.host, self.port) == (other.host, other.port)

    def redirect(self, location):
        """The URL a redirect's ``Location`` leads to.

        Relative locations are resolved against this URL; ``http``/``https``
        mean ``ws``/``wss``. A location sent as raw UTF-8 is read as UTF-8.

        :param str location: The Location header value.
        :rtype: WebSocketURL
        :raises RedirectError: For a downgrade from wss:// to ws://, or a
            location that isn't a valid WebSocket URL.
        """
        location = location.strip()
        try:
            # Headers arrive as latin-1; a server that sent UTF-8 meant it.
            location = location.encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
        try:
            resolved = urljoin(_as_http(_as_text(self.url, "URL")), location)
        except ValueError:  # Python 3's urlsplit refuses some authorities
            raise RedirectError("bad redirect location {!r}".format(redact(location)))
        scheme, _colon, rest = resolved.partition(":")
        scheme = _REDIRECT_SCHEMES.get(scheme.lower())
        if scheme is None:
            raise RedirectError("redirect to {!r}, which is not a WebSocket URL".format(redact(location)))
        if self.secure and scheme == "ws":
            raise RedirectError(
                "refusing to follow a redirect from wss:// to ws:// ({!r})".format(redact(location))
            )
        try:
            return WebSocketURL(scheme + ":" + rest.split("#", 1)[0])
        except ValueError as error:
            raise RedirectError("bad redirect location {!r}: {}".format(redact(location), error))


def _as_text(url, what):
    """The URL as text; Python 2's byte strings are read as UTF-8."""
    if isinstance(url, six.text_type):
        return url
    if six.PY2 and isinstance(url, bytes):
        try:
            return url.decode("utf-8")
        except UnicodeError:
            raise ValueError("the {} must be ASCII or UTF-8 text".format(what))
    raise TypeError("the {} must be a str, not {}".format(what, type(url).__name__))


def _check_controls(text, what):
    """Refuse C0 controls and DEL anywhere in a URL.

    They would break the request line or a log line (Python 3's urlsplit
    silently drops tabs and line breaks instead).
    """
    if not any(char < u" " or char == u"\x7f" for char in text):
        return
    shown = redact(text)
    where = "in its password"
    for index, char in enumerate(shown):
        if char < u" " or char == u"\x7f":
            where = "{!r} at index {}".format(char, index)
            break
    raise ValueError(
        "the {} {!r} contains a control character ({}); remove it, or "
        "percent-encode it if it belongs in the path".format(what, shown, where)
    )


def _split_host_port(hostport):
    """``(host, port)`` from ``host[:port]`` or ``[v6][:port]``.

    The messages never repeat what follows the first ``:``: in a URL
    whose password holds an unescaped ``/``, that is the password.

    :raises ValueError: Saying what is wrong (the caller adds the URL).
    """
    if hostport.startswith("["):
        host, bracket, rest = hostport[1:].partition("]")
        if not bracket:
            raise ValueError("has a '[' without a ']'")
        host = str(host.lower())
        if not _IPV6.match(host):
            raise ValueError("has something other than an IPv6 address between brackets")
        if rest and not rest.startswith(":"):
            raise ValueError("has an invalid port: text after its IPv6 address")
        port_text = rest[1:]
    else:
        if hostport.count(":") > 1:
            raise ValueError(
                "has an invalid port: more than one ':' after the host "
                "(an IPv6 address goes in brackets: ws://[::1]:8080/)"
            )
        host, _colon, port_text = hostport.partition(":")
        if "%" in host:
            raise ValueError("has a percent-escape in its host; write the host name itself")
        try:
            host = ascii_host(host)
        except ValueError as error:
            raise ValueError("has an invalid host: {}".format(error))
    if not port_text:
        return host, None  # "host:" means the default port (RFC 3986 3.2.3)
    # Only ASCII digits: str.isdigit() and int() also take other scripts'.
    if not all(u"0" <= char <= u"9" for char in port_text) or not 0 < int(port_text) < 65536:
        raise ValueError("has an invalid port: use a number from 1 to 65535")
    return host, int(port_text)


def _unquote(text):
    """Percent-decode as UTF-8 (Python 2's unquote works on bytes only)."""
    if six.PY2:
        return unquote(text.encode("utf-8")).decode("utf-8", "replace")
    return unquote(text)


def _as_http(url):
    """urljoin only resolves relative URLs for schemes it knows."""
    scheme, _colon, rest = url.partition(":")
    return {"ws": "http", "wss": "https"}[scheme.lower()] + ":" + rest

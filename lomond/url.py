"""WebSocket URLs: parsing, credentials, and following redirects."""

import base64

from six.moves.urllib.parse import unquote, urljoin, urlsplit

DEFAULT_PORTS = {"ws": 80, "wss": 443}

# A redirect to an http(s) URL means the same endpoint over ws(s).
_REDIRECT_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}


class RedirectError(ValueError):
    """A redirect that must not be followed."""


class WebSocketURL(object):
    """A parsed ``ws://`` or ``wss://`` URL.

    :param str url: The URL.
    :raises ValueError: For another scheme, a missing host, a bad port, or
        a fragment (RFC 6455 3: fragments must not be used).
    """

    __slots__ = ["url", "scheme", "host", "port", "resource", "username", "password"]

    def __init__(self, url):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(
                "unsupported URL scheme {!r} in {!r}; use ws:// or wss://".format(parts.scheme, url)
            )
        if not parts.hostname:
            raise ValueError("the URL {!r} has no host".format(url))
        if parts.fragment or url.endswith("#"):
            raise ValueError(
                "the URL {!r} has a fragment (#); remove it or escape it as %23".format(url)
            )
        port = _port(parts.netloc)
        if port is not None and not 0 < port < 65536:
            raise ValueError("the URL {!r} has an invalid port".format(url))
        self.url = url
        self.scheme = scheme
        self.host = parts.hostname
        self.port = port or DEFAULT_PORTS[scheme]
        self.resource = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        self.username = None if parts.username is None else unquote(parts.username)
        self.password = None if parts.password is None else unquote(parts.password)

    def __repr__(self):
        return "WebSocketURL({!r})".format(self.redacted)

    @property
    def secure(self):
        """True for wss://."""
        return self.scheme == "wss"

    @property
    def redacted(self):
        """The URL with any password replaced by ``***``, for logs."""
        if self.password is None:
            return self.url
        parts = urlsplit(self.url)
        netloc = parts.netloc.rpartition("@")[2]
        user = parts.username or ""
        return parts._replace(netloc="{}:***@{}".format(user, netloc)).geturl()

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
        return (self.host.lower(), self.port) == (other.host.lower(), other.port)

    def redirect(self, location):
        """The URL a redirect's ``Location`` leads to.

        Relative locations are resolved against this URL; ``http``/``https``
        mean ``ws``/``wss``.

        :param str location: The Location header value.
        :rtype: WebSocketURL
        :raises RedirectError: For a downgrade from wss:// to ws://, or a
            location that isn't a WebSocket URL.
        """
        resolved = urljoin(_as_http(self.url), location.strip())
        scheme, _colon, rest = resolved.partition(":")
        scheme = _REDIRECT_SCHEMES.get(scheme.lower())
        if scheme is None:
            raise RedirectError("redirect to {!r}, which is not a WebSocket URL".format(location))
        if self.secure and scheme == "ws":
            raise RedirectError(
                "refusing to follow a redirect from wss:// to ws:// ({})".format(location)
            )
        try:
            return WebSocketURL(scheme + ":" + rest.split("#", 1)[0])
        except ValueError as error:
            raise RedirectError("bad redirect location {!r}: {}".format(location, error))


def _port(netloc):
    """The port written in ``netloc``: None if absent, -1 if malformed.

    (Python 2.7's ``urlsplit`` quietly drops a port it can't use, which
    would connect to the default port instead.)
    """
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        text = hostport.partition("]")[2]
        if not text:
            return None
        if not text.startswith(":"):
            return -1
        text = text[1:]
    elif ":" in hostport:
        text = hostport.rpartition(":")[2]
    else:
        return None
    if not text:
        return None  # "host:" means the default port (RFC 3986 3.2.3)
    return int(text) if text.isdigit() else -1


def _as_http(url):
    """urljoin only resolves relative URLs for schemes it knows."""
    scheme, _colon, rest = url.partition(":")
    return {"ws": "http", "wss": "https"}[scheme.lower()] + ":" + rest

"""Proxies: choosing one, and opening a tunnel through it.

``proxies=None`` reads the environment the way urllib does
(``http_proxy``/``HTTP_PROXY`` for ws://, ``https_proxy``/``HTTPS_PROXY``
for wss://, ``all_proxy`` as a fallback, lower case winning) and honours
``no_proxy``/``NO_PROXY``. The tunnel is an HTTP CONNECT (RFC 7231 4.3.6).
"""

import base64
import os
import socket
import struct
import sys

from .errors import ConnectFail, ProxyFail, TransportFail
from .parser import ParseOverflow
from .response import ResponseParser
from .tls import wrap_tls
from .clock import monotonic
from .transport import Transport, connect_tcp
from .url import ascii_host, split_url

DEFAULT_PORTS = {"http": 80, "https": 443, "socks4": 1080, "socks4a": 1080, "socks5": 1080, "socks5h": 1080}


class ProxyURL(object):
    """A parsed proxy URL.

    ``host`` is in ASCII form (IDNA for an internationalised name, see
    :func:`lomond.url.ascii_host`); ``url`` is the URL without
    credentials, safe to log and to put in events.

    :param str url: e.g. ``'http://user:pass@proxy.example:3128'``, or
        ``'proxy.example:3128'`` for ``http://``.
    :raises ValueError: For an unknown scheme, a missing or invalid host,
        a bad port or a control character; the message shows the URL with
        its password replaced by ``***``.
    """

    __slots__ = ["scheme", "host", "port", "username", "password", "url"]

    def __init__(self, url):
        # "proxy:3128" without a scheme means http://, as urllib and curl take it.
        parts = split_url(url, DEFAULT_PORTS, what="proxy", default_scheme="http")
        self.scheme = str(parts.scheme)
        self.host = parts.host
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.username = parts.username
        self.password = parts.password
        self.url = "{}://{}:{}".format(
            self.scheme, "[{}]".format(self.host) if ":" in self.host else self.host, self.port
        )

    def __repr__(self):
        return "ProxyURL({!r})".format(self.url)

    def authorization(self):
        """The Proxy-Authorization value for the URL's credentials, or None."""
        if self.username is None:
            return None
        credentials = "{}:{}".format(self.username, self.password or "")
        return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


# -- Choosing a proxy --------------------------------------------------------


def _ip_to_int(text):
    """An IP address as (family, int), or None if ``text`` isn't one."""
    text = text.strip("[]")
    for family, size in ((socket.AF_INET, 4), (socket.AF_INET6, 16)):
        try:
            packed = socket.inet_pton(family, text)
        except (socket.error, ValueError, OSError):
            continue
        high, low = struct.unpack("!QQ", packed.rjust(16, b"\0"))
        return family, (high << 64) | low
    return None


def _matches(entry, host, port):
    """Tell if one NO_PROXY entry covers ``host`` and ``port``."""
    entry = entry.strip().lower()
    if not entry:
        return False
    if entry == "*":
        return True
    entry_port = None
    if entry.startswith("["):  # [v6] or [v6]:port
        address, _bracket, rest = entry[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            entry_port = int(rest[1:])
        entry = address
    elif entry.count(":") == 1:  # name:port or v4:port
        name, _colon, number = entry.partition(":")
        if number.isdigit():
            entry, entry_port = name, int(number)
    if entry_port is not None and entry_port != port:
        return False
    host_ip = _ip_to_int(host)
    if "/" in entry:
        network, _slash, bits = entry.partition("/")
        parsed = _ip_to_int(network)
        if parsed is None or host_ip is None or not bits.isdigit():
            return False
        width = 32 if parsed[0] == socket.AF_INET else 128
        if parsed[0] != host_ip[0] or int(bits) > width:
            return False
        shift = width - int(bits)
        return parsed[1] >> shift == host_ip[1] >> shift
    entry_ip = _ip_to_int(entry)
    if entry_ip is not None or host_ip is not None:
        return entry_ip == host_ip
    entry = entry.lstrip(".")
    if entry.startswith("*."):
        entry = entry[2:]
    # Names are compared in their ASCII (IDNA) forms, whichever form each
    # was written in. An entry that isn't a valid name matches nothing.
    try:
        entry = ascii_host(entry.rstrip("."))
        host = ascii_host(host.rstrip("."))
    except ValueError:
        return False
    return host == entry or host.endswith("." + entry)


def is_bypassed(host, port, no_proxy):
    """Tell if a NO_PROXY value says to connect to ``host`` directly.

    Entries are separated by commas (or spaces): ``*``; a domain, which
    also covers its subdomains (``example.com``, ``.example.com``); an IP
    address or a CIDR range (``10.0.0.0/8``, ``fd00::/8``); any of these
    with ``:port`` to limit it to one port.

    :param str host: The server's host name or address.
    :param int port: The server's port.
    :param str no_proxy: The NO_PROXY value.
    :rtype: bool
    """
    if not no_proxy:
        return False
    if isinstance(no_proxy, bytes):  # Python 2's environment
        no_proxy = no_proxy.decode("utf-8", "replace")
    entries = no_proxy.replace(" ", ",").split(",")
    return any(_matches(entry, host, port) for entry in entries)


def proxies_from_environment(environ):
    """The ``*_proxy`` variables of ``environ``, by the rules urllib uses.

    Names are case-insensitive and a lower-case variable wins over an
    upper-case one; an empty lower-case variable removes the setting. In
    a CGI script (``REQUEST_METHOD`` set) ``HTTP_PROXY`` is ignored, as
    the web server may have copied it from a request header (httpoxy,
    CVE-2016-1000110).

    :param dict environ: e.g. ``os.environ``.
    :returns: ``{'http': url, 'https': url, 'no': hosts, ...}``.
    :rtype: dict
    """
    proxies = {}
    for name, value in environ.items():
        if value and name.lower().endswith("_proxy"):
            proxies[name.lower()[:-6]] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):  # lower case: the final word
            if value:
                proxies[name.lower()[:-6]] = value
            else:
                proxies.pop(name.lower()[:-6], None)
    return proxies


def environment_proxies():
    """The proxy settings from the environment, as urllib reads them.

    On macOS and Windows, where urllib also reads the system's settings
    when the environment has none, urllib is asked; elsewhere the
    environment is read here, which spares importing urllib.request (and
    http.client and email: 2 MB and 17 ms).

    :rtype: dict
    """
    if sys.platform in ("darwin", "win32"):  # pragma: no cover
        from six.moves.urllib.request import getproxies

        return getproxies()
    return proxies_from_environment(os.environ)


def choose_proxy(secure, host, port, proxies):
    """The proxy to use for a connection, or None to connect directly.

    :param bool secure: True for wss:// (uses the ``'https'`` entry).
    :param str host: The server's host (NO_PROXY entries are compared with
        its ASCII form).
    :param int port: The server's port.
    :param dict proxies: ``{'http': url, 'https': url, 'no': no_proxy}``,
        or None to read the environment. ``{}`` means no proxy.
    :rtype: ProxyURL
    :raises ValueError: If the chosen proxy URL is malformed (the message
        never shows its password).
    """
    from_environment = proxies is None
    if from_environment:
        proxies = environment_proxies()
    key = "https" if secure else "http"
    if not proxies.get(key):
        key = "all"
    url = proxies.get(key)
    if not url:
        return None
    if is_bypassed(host, port, proxies.get("no")):
        return None
    try:
        return ProxyURL(url)
    except ValueError as error:
        if not from_environment:
            raise
        raise ValueError("{} (from the environment: fix or unset {}_proxy)".format(error, key))


# -- Opening the tunnel ------------------------------------------------------


def connect_request(host, port, authorization=None):
    """The CONNECT request for a tunnel to ``host:port``.

    :rtype: bytes
    """
    # RFC 7230 5.3.3: the authority form, always with the port.
    authority = "{}:{}".format("[{}]".format(host) if ":" in host else host, port)
    lines = [
        "CONNECT {} HTTP/1.1".format(authority),
        "Host: {}".format(authority),
    ]
    if authorization:
        lines.append("Proxy-Authorization: {}".format(authorization))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def check_connect_response(proxy, response, leftover):
    """Check a proxy's answer to CONNECT: a 2xx and nothing after it.

    :param ProxyURL proxy: The proxy (named in errors).
    :param response: The :class:`~lomond.response.Response`.
    :param bytes leftover: Bytes received after the response head.
    :raises lomond.errors.ProxyFail: Naming the proxy and its status.
    """
    if not 200 <= response.status_code < 300:
        raise ProxyFail(
            "proxy {} refused the tunnel: {} {}".format(
                proxy.url, response.status_code, response.status
            ).rstrip()
        )
    if leftover:
        raise ProxyFail("proxy {} sent data before the tunnel was used".format(proxy.url))


def read_connect_response(proxy, transport, deadline):
    """Read the proxy's answer to CONNECT and check it.

    :raises lomond.errors.ProxyFail: If it is not a 2xx, is malformed, or
        doesn't arrive before ``deadline``.
    """
    parser = ResponseParser()
    buffer = bytearray(4096)
    while True:
        remaining = deadline - monotonic()
        if remaining <= 0:
            raise ProxyFail("proxy {} did not answer CONNECT in time".format(proxy.url))
        if not transport.pending() and not transport.wait_readable(remaining):
            continue
        count = transport.recv_into(buffer)
        if count is None:
            continue
        if count == 0:
            raise ProxyFail("proxy {} closed the connection during CONNECT".format(proxy.url))
        results = parser.feed(memoryview(buffer)[:count])
        if results:
            check_connect_response(proxy, results[0], parser.unconsumed())
            return
        if parser.error is not None:
            detail = parser.error
            if isinstance(detail, ParseOverflow):
                detail = "response head too large"
            raise ProxyFail("proxy {} sent an invalid response: {}".format(proxy.url, detail))


def open_tunnel(proxy, host, port, deadline, proxy_ssl_context=None):
    """Connect to ``host:port`` through a proxy.

    :param ProxyURL proxy: The proxy.
    :param str host: The WebSocket server's host.
    :param int port: Its port.
    :param float deadline: Monotonic time by which to give up.
    :param ssl.SSLContext proxy_ssl_context: The TLS context for an
        ``https://`` proxy.
    :returns: A socket of the open tunnel, ready for the WebSocket's own
        TLS (if any) and upgrade. For an ``https://`` proxy it is the
        ``SSLSocket`` to the proxy.
    :raises lomond.errors.ConnectFail: If the proxy can't be reached, or
        :class:`~lomond.errors.ProxyFail` if it refuses.
    """
    if proxy.scheme.startswith("socks"):
        return _open_socks(proxy, host, port, deadline)
    try:
        sock = connect_tcp(proxy.host, proxy.port, deadline)
    except ConnectFail as error:
        raise ProxyFail("unable to connect to proxy {}: {}".format(proxy.url, error))
    if proxy.scheme == "https":
        try:
            sock = wrap_tls(sock, proxy_ssl_context, proxy.host, deadline)
        except ConnectFail as error:
            raise ProxyFail("TLS to proxy {} failed: {}".format(proxy.url, error))
    transport = Transport(sock, wakeable=False)
    try:
        transport.sendall(connect_request(host, port, proxy.authorization()), deadline - monotonic())
        read_connect_response(proxy, transport, deadline)
    except TransportFail as error:
        transport.close()
        raise ProxyFail("proxy {} failed: {}".format(proxy.url, error))
    except Exception:
        transport.close()
        raise
    return sock


_SOCKS_KINDS = {
    # scheme: (PySocks type name, resolve the name on the proxy)
    "socks4": ("SOCKS4", False),
    "socks4a": ("SOCKS4", True),
    "socks5": ("SOCKS5", False),
    "socks5h": ("SOCKS5", True),
}


def _open_socks(proxy, host, port, deadline):
    """Connect through a SOCKS proxy with PySocks (the ``socks`` extra)."""
    try:
        import socks
    except ImportError:
        raise ConnectFail(
            "{} proxies need PySocks: pip install 'lomond[socks]' (proxy {})".format(
                proxy.scheme, proxy.url
            )
        )
    kind, remote_dns = _SOCKS_KINDS[proxy.scheme]
    sock = socks.socksocket()
    sock.set_proxy(
        getattr(socks, kind),
        proxy.host,
        proxy.port,
        rdns=remote_dns,
        username=proxy.username,
        password=proxy.password,
    )
    remaining = deadline - monotonic()
    if remaining <= 0:
        sock.close()
        raise ProxyFail("timed out before connecting to proxy {}".format(proxy.url))
    sock.settimeout(remaining)
    try:
        sock.connect((host, port))
    except socks.ProxyError as error:
        sock.close()
        detail = getattr(error, "msg", None) or str(error)
        raise ProxyFail("SOCKS proxy {} failed: {}".format(proxy.url, detail))
    except (socket.error, OSError) as error:
        sock.close()
        raise ProxyFail("SOCKS proxy {} failed: {}".format(proxy.url, error or "timed out"))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock

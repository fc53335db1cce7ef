"""Proxies: which one to use, by the rules people expect.

``proxies=None`` reads the environment the way urllib does
(``http_proxy``/``HTTP_PROXY`` for ws://, ``https_proxy``/``HTTPS_PROXY``
for wss://, ``all_proxy`` as a fallback, lower case winning) and honours
``no_proxy``/``NO_PROXY``. The tunnel itself is :mod:`lomond.tunnel`.
"""

import base64
import os
import socket
import struct
import sys

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

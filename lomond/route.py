"""Which way to a server: straight there or through a proxy, and with
which TLS context (pure policy, shared by every driver).

A :class:`Route` is decided before any socket is opened, from the URL, the
proxy settings and the TLS options; the drivers then follow it step by
step: TCP to the first hop, TLS to an ``https://`` proxy, the tunnel, and
TLS to the server.
"""

from .errors import ConnectFail
from .proxy import choose_proxy
from .tls import HAVE_LAYERED_TLS, MATCHES_IP_ADDRESSES, make_ssl_context


class Route(object):
    """The way to one WebSocket URL.

    :ivar target: The :class:`~lomond.url.WebSocketURL`.
    :ivar proxy: The :class:`~lomond.proxy.ProxyURL`, or None.
    :ivar context: The ``SSLContext`` for the server (wss://), or None.
    :ivar proxy_context: The ``SSLContext`` for an ``https://`` proxy.
    :ivar bool check_ip: Check an IP-address host against the
        certificate's IP SANs by hand (Python 2.7, Lomond's own context).
    """

    __slots__ = ["target", "proxy", "context", "proxy_context", "check_ip"]

    def __init__(self, target, proxy=None, context=None, proxy_context=None, check_ip=False):
        self.target = target
        self.proxy = proxy
        self.context = context
        self.proxy_context = proxy_context
        self.check_ip = check_ip

    def __repr__(self):
        via = "" if self.proxy is None else " via {}".format(self.proxy.url)
        return "<Route {}{}>".format(self.target.redacted, via)

    @property
    def first_hop(self):
        """``(host, port)`` of the TCP connection: the proxy's or the server's."""
        if self.proxy is not None:
            return self.proxy.host, self.proxy.port
        return self.target.host, self.target.port

    @property
    def proxy_url(self):
        """The proxy's URL without credentials, or None."""
        return None if self.proxy is None else self.proxy.url

    @property
    def tls_to_proxy(self):
        """True for an ``https://`` proxy."""
        return self.proxy is not None and self.proxy.scheme == "https"

    @property
    def layered(self):
        """True for TLS inside TLS: wss:// through an https:// proxy."""
        return self.target.secure and self.tls_to_proxy


def plan_route(target, proxies, ssl_verify=True, ssl_cafile=None, ssl_context=None, proxy_ssl_context=None):
    """Decide how to reach ``target``.

    :param target: The :class:`~lomond.url.WebSocketURL`.
    :param dict proxies: As the WebSocket's ``proxies`` option (None reads
        the environment).
    :param bool ssl_verify: Verify certificates.
    :param str ssl_cafile: CA certificates to trust instead of the default.
    :param ssl.SSLContext ssl_context: The caller's context, used as given.
    :param ssl.SSLContext proxy_ssl_context: The context for an https://
        proxy (default: the server's).
    :rtype: Route
    :raises lomond.errors.ConnectFail: For a malformed proxy setting, CA
        certificates that can't be loaded, or a route Python can't take.
    """
    try:
        proxy = choose_proxy(target.secure, target.host, target.port, proxies)
    except ValueError as error:
        raise ConnectFail(str(error))
    route = Route(target, proxy, check_ip=not MATCHES_IP_ADDRESSES and ssl_context is None)
    if route.layered and not HAVE_LAYERED_TLS:
        raise ConnectFail("wss:// through an https:// proxy needs TLS inside TLS, which needs Python 3")
    if target.secure or route.tls_to_proxy:
        context = ssl_context
        if context is None:
            try:
                context = make_ssl_context(ssl_verify, ssl_cafile)
            except (IOError, OSError, ValueError) as error:
                source = "CA certificates from {!r}".format(ssl_cafile) if ssl_cafile else "the TLS settings"
                raise ConnectFail("can't load {}: {}".format(source, error))
        route.context = context
        route.proxy_context = proxy_ssl_context or context
    return route

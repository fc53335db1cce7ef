"""Open a hop over asyncio, along a route, within one deadline.

The same steps as the blocking opener (:mod:`lomond.opener`), on asyncio's
transports: TCP to the first hop, TLS to an ``https://`` proxy, the
proxy's conversation (the sans-IO :mod:`lomond.tunnel`), then TLS to the
server: asyncio's own, or a :class:`~lomond.tls.TLSLayer` inside the
proxy's TLS. Every step runs through the run's ``step()``, which bounds
it by the deadline and stops it when the caller does.
"""

import asyncio
import os
import socket
import ssl

from ..errors import ConnectFail, ProxyFail
from ..tls import TLSLayer, describe_tls_error
from ..transport import describe_socket_error
from ..tunnel import make_tunnel, resolves_locally
from .link import LayeredLink, Link

_CERTIFICATE_ERRORS = (ssl.SSLError, ssl.CertificateError)


class Opening(asyncio.Protocol):
    """The protocol of a connection being opened: it collects what the
    proxy (or the inner TLS handshake) sends."""

    def __init__(self, loop):
        self.loop = loop
        self.transport = None
        self._data = bytearray()
        self._ended = False
        self._waiter = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self._data += data
        self._wake()

    def eof_received(self):
        self._ended = True
        self._wake()

    def connection_lost(self, exc):
        self._ended = True
        self._wake()

    def _wake(self):
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def leftover(self):
        """What arrived and wasn't taken (the server spoke first)."""
        data = bytes(self._data)
        del self._data[:]
        return data

    async def receive(self):
        """The bytes received so far (waits for some); b"" at the end."""
        while not self._data and not self._ended:
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.leftover()


def _tcp_failure(host, port, error):
    if isinstance(error, socket.gaierror):
        return ConnectFail("DNS lookup of {!r} failed: {}".format(host, error.strerror or error))
    if error.errno:
        # asyncio words every failed connect "Connect call failed
        # (address)": say what the system said, as the blocking driver does.
        error = OSError(error.errno, os.strerror(error.errno))
    return ConnectFail("unable to connect to {} port {} ({})".format(host, port, describe_socket_error(error)))


async def _tls(run, transport, protocol, context, hostname, deadline):
    """Upgrade ``transport`` to TLS with asyncio's own TLS."""
    loop = run.loop

    def timed_out():
        return ConnectFail("TLS handshake with {} timed out".format(hostname))

    try:
        return await run.step(
            loop.start_tls(
                transport,
                protocol,
                context,
                server_hostname=hostname,
                ssl_handshake_timeout=max(1.0, deadline - loop.time() + 1.0),
            ),
            deadline,
            timed_out,
        )
    except _CERTIFICATE_ERRORS as error:
        raise ConnectFail(describe_tls_error(error))
    except (ConnectionError, OSError) as error:
        raise ConnectFail("TLS handshake with {} failed: {}".format(hostname, describe_socket_error(error)))


async def _converse(run, transport, opening, tunnel, deadline):
    """Run a proxy's conversation until the tunnel is open."""
    while True:
        out = tunnel.data_to_send()
        if out:
            transport.write(out)
        if tunnel.is_open:
            return
        tunnel.receive(await run.step(opening.receive(), deadline, tunnel.timed_out))


async def _handshake_layered(run, transport, opening, layer, hostname, deadline):
    """The inner TLS handshake of TLS inside TLS."""

    def timed_out():
        return ConnectFail("TLS handshake with {} timed out".format(hostname))

    while not layer.do_handshake():
        transport.write(layer.encrypted_output())
        data = await run.step(opening.receive(), deadline, timed_out)
        if not data:
            raise ConnectFail("proxy closed the tunnel during the TLS handshake")
        layer.receive(data)
    if layer.has_output():
        transport.write(layer.encrypted_output())


async def open_link(run, route, session, deadline):
    """Open a connection to the route's server and start ``session`` on it.

    :param run: The run (it provides ``loop``, ``step()`` and
        ``websocket``).
    :param route: The :class:`~lomond.route.Route`.
    :param session: The session of this hop (not started).
    :param float deadline: Loop time by which it must be open.
    :rtype: Link
    :raises lomond.errors.ConnectFail: (or ProxyFail) saying what failed.
    :raises lomond.controls.Cancelled: If the caller stopped it.
    """
    loop = run.loop
    target = route.target
    proxy = route.proxy
    host, port = route.first_hop
    opening = Opening(loop)
    try:
        transport, _protocol = await run.step(
            loop.create_connection(lambda: opening, host, port),
            deadline,
            lambda: ConnectFail("unable to connect to {} port {} (timed out)".format(host, port)),
        )
    except ConnectFail as error:
        if proxy is None:
            raise
        raise ProxyFail("unable to connect to proxy {}: {}".format(proxy.url, error))
    except OSError as error:
        failure = _tcp_failure(host, port, error)
        if proxy is None:
            raise failure
        raise ProxyFail("unable to connect to proxy {}: {}".format(proxy.url, failure))
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    try:
        if proxy is not None:
            if route.tls_to_proxy:
                try:
                    transport = await _tls(run, transport, opening, route.proxy_context, proxy.host, deadline)
                except ConnectFail as error:
                    raise ProxyFail("TLS to proxy {} failed: {}".format(proxy.url, error))
            server = target.host
            if resolves_locally(proxy):
                family = socket.AF_INET if proxy.scheme == "socks4" else 0
                try:
                    addresses = await run.step(
                        loop.getaddrinfo(server, target.port, family=family, type=socket.SOCK_STREAM),
                        deadline,
                        lambda: ConnectFail("DNS lookup of {!r} timed out".format(target.host)),
                    )
                except OSError as error:
                    raise _tcp_failure(server, target.port, error)
                server = addresses[0][4][0]
            await _converse(run, transport, opening, make_tunnel(proxy, server, target.port), deadline)
        run.websocket.emit_trace("connected_tcp", proxy=route.proxy_url)
        layer = None
        if target.secure:
            if route.layered:
                layer = TLSLayer(route.context, target.host)
                await _handshake_layered(run, transport, opening, layer, target.host, deadline)
            else:
                transport = await _tls(run, transport, opening, route.context, target.host, deadline)
            run.websocket.emit_trace("tls_wrapped")
    except BaseException:
        transport.abort()
        raise
    link = Link(run, session) if layer is None else LayeredLink(run, session, layer)
    transport.set_protocol(link)
    link.attach(transport, opening.leftover())
    return link

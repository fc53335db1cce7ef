"""Open a connection along a route, within one deadline, stoppable at
every wait (the blocking driver's IO).

:func:`open_transport` follows a :class:`~lomond.route.Route`: TCP to the
first hop, TLS to an ``https://`` proxy, the tunnel's conversation, TLS to
the server. Every socket is non-blocking and every wait goes through the
caller's ``wait`` function, which bounds it by the deadline and by the
caller's controls (it raises :class:`~lomond.controls.Cancelled` to stop).
Only DNS can't be cut short: Python has no way to time out a lookup
without a thread, so it is bounded by the system resolver.
"""

import errno
import os
import socket
import ssl

from .clock import monotonic
from .errors import ConnectFail, ProxyFail, TransportFail
from .tls import TLSLayer, check_ip_address, describe_tls_error, is_ip_address
from .transport import LayeredTransport, Transport, describe_socket_error
from .tunnel import make_tunnel, resolves_locally
from .wait import READ, WRITE

_IN_PROGRESS = (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, errno.EAGAIN)
_CERTIFICATE_ERRORS = (ssl.SSLError, getattr(ssl, "CertificateError", ssl.SSLError))


def resolve(host, port, family=0):
    """Every address ``host`` resolves to, for TCP.

    :raises lomond.errors.ConnectFail: If the name doesn't resolve.
    """
    try:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectFail("DNS lookup of {!r} failed: {}".format(host, error.strerror or error))
    except (socket.error, UnicodeError) as error:
        raise ConnectFail("DNS lookup of {!r} failed: {}".format(host, error))


def connect_tcp(host, port, deadline, wait):
    """Connect to the first address of ``host`` that answers.

    Each address gets an equal share of the time left, so an unreachable
    IPv6 address doesn't use up the whole budget.

    :param float deadline: Monotonic time by which to give up.
    :param wait: ``wait(sock, what, deadline)``: True once ready, False at
        the deadline (see the module docstring).
    :rtype: socket.socket
    :raises lomond.errors.ConnectFail: Naming every address that failed.
    """
    addresses = resolve(host, port)
    failures = []
    for index, (family, kind, proto, _name, address) in enumerate(addresses):
        remaining = deadline - monotonic()
        if remaining <= 0:
            failures.append("{}: timed out".format(address[0]))
            break
        share = monotonic() + remaining / (len(addresses) - index)
        sock = socket.socket(family, kind, proto)
        try:
            problem = _connect(sock, address, share, wait)
        except BaseException:
            sock.close()
            raise
        if problem is not None:
            sock.close()
            failures.append("{}: {}".format(address[0], problem))
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock
    raise ConnectFail("unable to connect to {} port {} ({})".format(host, port, "; ".join(failures)))


def _connect(sock, address, deadline, wait):
    """Connect without blocking; return None, or what went wrong."""
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code in _IN_PROGRESS:
        if not wait(sock, WRITE, deadline):
            return "timed out"
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        return "[Errno {}] {}".format(code, os.strerror(code))
    return None


def handshake_tls(sock, context, hostname, deadline, wait, check_ip=False):
    """Do the TLS handshake on a connected socket (with SNI).

    :param bool check_ip: Check an IP-address host against the
        certificate's IP SANs here rather than in the ``ssl`` module (for
        Python 2.7, and only with a context Lomond made, which it may
        change).
    :returns: The ``ssl.SSLSocket``; ``sock`` must not be used any more
        (on failure, both are closed).
    :raises lomond.errors.ConnectFail: With the verification detail.
    """
    by_hand = check_ip and context.check_hostname and is_ip_address(hostname)
    if by_hand:
        context.check_hostname = False  # until the check below
    tls = None
    try:
        tls = context.wrap_socket(sock, server_hostname=hostname, do_handshake_on_connect=False)
        _handshake(tls, hostname, deadline, wait)
        if by_hand:
            check_ip_address(tls.getpeercert(), hostname)
        return tls
    except BaseException:
        if tls is not None:
            tls.close()
        raise
    finally:
        if by_hand:
            context.check_hostname = True


def _handshake(tls, hostname, deadline, wait):
    while True:
        try:
            tls.do_handshake()
            return
        except ssl.SSLWantReadError:
            what = READ
        except ssl.SSLWantWriteError:
            what = WRITE
        except _CERTIFICATE_ERRORS as error:
            raise ConnectFail(describe_tls_error(error))
        except (socket.error, OSError) as error:
            raise ConnectFail("TLS handshake with {} failed: {}".format(hostname, describe_socket_error(error)))
        if not wait(tls, what, deadline):
            raise ConnectFail("TLS handshake with {} timed out".format(hostname))


def send_all(transport, data, deadline, wait, timed_out):
    """Send all of ``data`` on a connection being opened.

    :param timed_out: Returns the exception for a missed deadline.
    """
    view = memoryview(data)
    while view:
        count = transport.send(view)
        if count:
            view = view[count:]
        elif not wait(transport.sock, READ if transport.send_wants_read else WRITE, deadline):
            raise timed_out()


def converse(transport, tunnel, deadline, wait):
    """Run a proxy's conversation until the tunnel is open.

    :raises lomond.errors.ProxyFail: If it fails or takes too long.
    """
    buffer = bytearray(4096)
    try:
        while True:
            out = tunnel.data_to_send()
            if out:
                send_all(transport, out, deadline, wait, tunnel.timed_out)
            if tunnel.is_open:
                return
            if not transport.pending() and not wait(transport.sock, READ, deadline):
                raise tunnel.timed_out()
            count = transport.recv_into(buffer)
            if count is not None:
                tunnel.receive(memoryview(buffer)[:count])
    except TransportFail as error:
        raise ProxyFail("proxy {} failed: {}".format(tunnel.proxy.url, error))


def handshake_layered(outer, layer, hostname, deadline, wait):
    """Do the inner TLS handshake of TLS inside TLS."""

    def timed_out():
        return ConnectFail("TLS handshake with {} timed out".format(hostname))

    scratch = bytearray(65536)
    try:
        while not layer.do_handshake():
            send_all(outer, layer.encrypted_output(), deadline, wait, timed_out)
            if not outer.pending() and not wait(outer.sock, READ, deadline):
                raise timed_out()
            count = outer.recv_into(scratch)
            if count == 0:
                raise ConnectFail("proxy closed the tunnel during the TLS handshake")
            if count:
                layer.receive(memoryview(scratch)[:count])
        send_all(outer, layer.encrypted_output(), deadline, wait, timed_out)
    except TransportFail as error:
        raise ConnectFail("TLS handshake with {} through the proxy failed: {}".format(hostname, error))


def open_transport(route, deadline, wait, note):
    """Open a connection to the route's server, ready for the upgrade.

    :param route: The :class:`~lomond.route.Route`.
    :param float deadline: Monotonic time by which it must be open.
    :param wait: ``wait(sock, what, deadline)`` (see the module docstring).
    :param note: ``note(stage, **fields)``, told of each step.
    :returns: The transport (``lomond.transport``).
    :raises lomond.errors.ConnectFail: (or ProxyFail) saying what failed.
    :raises lomond.controls.Cancelled: If the caller stopped it.
    """
    target = route.target
    proxy = route.proxy
    host, port = route.first_hop
    try:
        sock = connect_tcp(host, port, deadline, wait)
    except ConnectFail as error:
        if proxy is None:
            raise
        raise ProxyFail("unable to connect to proxy {}: {}".format(proxy.url, error))
    try:
        if proxy is not None:
            if route.tls_to_proxy:
                try:
                    sock = handshake_tls(sock, route.proxy_context, proxy.host, deadline, wait)
                except ConnectFail as error:
                    raise ProxyFail("TLS to proxy {} failed: {}".format(proxy.url, error))
            server = target.host
            if resolves_locally(proxy):
                family = socket.AF_INET if proxy.scheme == "socks4" else 0
                server = resolve(server, target.port, family)[0][4][0]
            converse(Transport(sock), make_tunnel(proxy, server, target.port), deadline, wait)
        note("connected_tcp", proxy=route.proxy_url)
        if not target.secure:
            return Transport(sock, proxy=route.proxy_url)
        if route.layered:
            outer = Transport(sock)
            layer = TLSLayer(route.context, target.host)
            handshake_layered(outer, layer, target.host, deadline, wait)
            transport = LayeredTransport(sock, layer, proxy=route.proxy_url)
        else:
            sock = handshake_tls(sock, route.context, target.host, deadline, wait, route.check_ip)
            transport = Transport(sock, proxy=route.proxy_url)
        note("tls_wrapped")
        return transport
    except BaseException:
        sock.close()
        raise

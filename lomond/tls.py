"""TLS: certificate checks, the handshake, and TLS inside TLS.

Verification is on by default, against certifi's bundle (or the caller's
CA file); a caller's ``SSLContext`` is used as given, never weakened. The
handshake sends SNI and is bounded by the connection's deadline, and a
failure says why in words a person can act on.
"""

import socket
import ssl
import sys

from .errors import ConnectFail, TransportFail
from .clock import monotonic
from .transport import SEND_CHUNK, Transport, _describe, _is_unexpected_eof

#: TLS inside TLS (wss:// through an https:// proxy) needs ssl.MemoryBIO.
HAVE_LAYERED_TLS = hasattr(ssl, "MemoryBIO")


def make_ssl_context(verify=True, cafile=None):
    """The TLS context Lomond uses when the caller gives none.

    Certificates are checked against certifi's bundle (or ``cafile``), and
    the host name against the certificate, unless ``verify`` is False.

    :rtype: ssl.SSLContext
    """
    if cafile is None and verify:
        import certifi

        cafile = certifi.where()
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def is_ip_address(host):
    """True if ``host`` is an IPv4 or IPv6 address rather than a name."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except (socket.error, ValueError, OSError):
            pass
    return False


def _same_address(one, two):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_pton(family, one) == socket.inet_pton(family, two)
        except (socket.error, ValueError, OSError):
            continue
    return False


def check_ip_address(cert, address):
    """Check that a certificate names ``address`` in an IP SAN (RFC 6125).

    Python 2.7's ``ssl.match_hostname`` refuses every IP address, so
    Lomond's own contexts check IP hosts with this instead.

    :param dict cert: ``SSLSocket.getpeercert()``.
    :raises lomond.errors.ConnectFail: If it doesn't.
    """
    names = [value for key, value in cert.get("subjectAltName", ()) if key == "IP Address"]
    if not any(_same_address(name.strip(), address) for name in names):
        raise ConnectFail(
            "TLS certificate verify failed: IP address mismatch, certificate is not valid for {!r}.".format(address)
        )


#: Python 2.7's ``ssl.match_hostname`` refuses every IP address.
MATCHES_IP_ADDRESSES = sys.version_info[0] >= 3


def wrap_tls(sock, context, server_hostname, deadline, check_ip=False):
    """Do the TLS handshake on a connected socket (with SNI).

    :param bool check_ip: Check an IP-address host against the
        certificate's IP SANs here rather than in the ``ssl`` module (for
        Python 2.7, and only for a context Lomond made, which it may
        change).
    :rtype: ssl.SSLSocket
    :raises lomond.errors.ConnectFail: With the verification detail.
    """
    remaining = deadline - monotonic()
    if remaining <= 0:
        sock.close()
        raise ConnectFail("timed out before the TLS handshake")
    try:
        sock.settimeout(remaining)
        if check_ip and context.check_hostname and is_ip_address(server_hostname):
            context.check_hostname = False
            try:
                tls = context.wrap_socket(sock, server_hostname=server_hostname)
            finally:
                context.check_hostname = True
            try:
                check_ip_address(tls.getpeercert(), server_hostname)
            except ConnectFail:
                tls.close()
                raise
            return tls
        return context.wrap_socket(sock, server_hostname=server_hostname)
    except socket.timeout:
        sock.close()
        raise ConnectFail("TLS handshake with {} timed out".format(server_hostname))
    except (ssl.SSLError, getattr(ssl, "CertificateError", ssl.SSLError)) as error:
        sock.close()
        raise ConnectFail(_describe_tls(error))
    except (socket.error, OSError) as error:
        sock.close()
        raise ConnectFail("TLS handshake with {} failed: {}".format(server_hostname, _describe(error)))


def _describe_tls(error):
    """Words for a TLS handshake failure, with the verification detail."""
    message = getattr(error, "verify_message", None)
    if message:
        return "TLS certificate verify failed: {}".format(message)
    if isinstance(error, getattr(ssl, "CertificateError", ())):
        return "TLS certificate verify failed: {}".format(error)
    reason = getattr(error, "reason", None)
    if reason == "CERTIFICATE_VERIFY_FAILED":
        return "TLS certificate verify failed: {}".format(error)
    return "TLS handshake failed: {}".format(reason or error)


class LayeredTLSTransport(Transport):
    """TLS to the server, inside a TLS connection to an HTTPS proxy.

    The standard library can't wrap an ``SSLSocket`` in another, so the
    inner TLS runs on an ``ssl.SSLObject`` whose encrypted bytes travel
    through the outer socket. Needs Python 3 (``ssl.MemoryBIO``).

    :param outer: The connected ``SSLSocket`` to the proxy (tunnel open).
    :param ssl.SSLContext context: The context for the inner TLS.
    :param str server_hostname: The WebSocket server's name (SNI, check).
    :param float deadline: Monotonic time by which the handshake must end.
    :raises lomond.errors.ConnectFail: If the inner handshake fails.
    """

    def __init__(self, outer, context, server_hostname, deadline, proxy=None):
        Transport.__init__(self, outer, proxy=proxy)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        self._scratch = bytearray(65536)
        # True when the inner TLS wants more bytes than the BIO holds: then
        # the bytes in the BIO are a partial record, not something to read.
        self._starved = False
        try:
            self._handshake(server_hostname, deadline)
        except Exception:
            self.close()
            raise

    def _handshake(self, server_hostname, deadline):
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLError, getattr(ssl, "CertificateError", ssl.SSLError)) as error:
                raise ConnectFail(_describe_tls(error))
            self._flush(deadline - monotonic())
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise ConnectFail("TLS handshake with {} timed out".format(server_hostname))
            if not Transport.pending(self) and not self.wait_readable(remaining):
                continue
            if self._pull() == 0:
                raise ConnectFail("proxy closed the tunnel during the TLS handshake")
        self._flush(deadline - monotonic())

    def _flush(self, stall_timeout):
        """Send the encrypted bytes the inner TLS produced."""
        data = self._outgoing.read()
        if data:
            try:
                Transport.sendall(self, data, max(0.001, stall_timeout) if stall_timeout else None)
            except TransportFail as error:
                raise ConnectFail("TLS handshake through the proxy failed: {}".format(error))

    def _pull(self):
        """Move bytes from the outer socket into the inner TLS."""
        count = Transport.recv_into(self, self._scratch)
        if count:
            self._incoming.write(memoryview(self._scratch)[:count])
            self._starved = False
        return count

    def pending(self):
        """Bytes readable without waiting: decrypted by either TLS layer,
        or whole inner records still in the memory BIO."""
        if self.closed:
            return 0
        waiting = 0 if self._starved else self._incoming.pending
        return self._tls.pending() + waiting + Transport.pending(self)

    def recv_into(self, buffer):
        while True:
            try:
                count = self._tls.read(len(buffer), buffer)
            except ssl.SSLWantReadError:
                count = None
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return 0
            except ssl.SSLError as error:
                if _is_unexpected_eof(error):
                    return 0
                raise TransportFail("TLS error; {}".format(error))
            if self._outgoing.pending:  # e.g. a TLS 1.3 key update
                Transport.sendall(self, self._outgoing.read(), None)
            if count is not None:
                return count
            self._starved = True
            pulled = self._pull()
            if not pulled:
                return pulled  # None: nothing yet; 0: end of the stream

    def sendall(self, data, stall_timeout=None):
        if self.closed:
            raise TransportFail("the socket is closed")
        view = memoryview(data)
        written = 0
        while written < len(view):
            try:
                written += self._tls.write(view[written : written + SEND_CHUNK])
            except ssl.SSLError as error:
                raise TransportFail("TLS error while sending; {}".format(error))
            Transport.sendall(self, self._outgoing.read(), stall_timeout)

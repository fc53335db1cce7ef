"""TLS policy, and TLS over memory.

What Lomond trusts when the caller says nothing: the system's certificate
store together with OpenSSL's ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``
variables, **and** certifi's bundle, so that a company CA installed on the
machine works and a minimal container without a store works too. A
caller's ``ssl_cafile`` replaces all of them; a caller's ``SSLContext`` is
used exactly as given, never weakened.

:class:`TLSLayer` is TLS with no socket (``ssl.SSLObject`` over memory
buffers): encrypted bytes in and out, plaintext through the middle. It
carries TLS inside TLS (``wss://`` through an ``https://`` proxy), which
the standard library's sockets can't do.
"""

import socket
import ssl
import sys

from .errors import ConnectFail, TransportFail
from .transport import is_unexpected_eof

#: TLS inside TLS (wss:// through an https:// proxy) needs ssl.MemoryBIO.
HAVE_LAYERED_TLS = hasattr(ssl, "MemoryBIO")

#: Python 2.7's ``ssl.match_hostname`` refuses every IP address.
MATCHES_IP_ADDRESSES = sys.version_info[0] >= 3

_CERTIFICATE_ERRORS = (ssl.SSLError, getattr(ssl, "CertificateError", ssl.SSLError))


def make_ssl_context(verify=True, cafile=None):
    """The TLS context Lomond uses when the caller gives none.

    Certificates are checked against the system's store, the files named
    by ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and certifi's bundle (or against
    ``cafile`` alone), and the host name against the certificate, unless
    ``verify`` is False.

    :rtype: ssl.SSLContext
    :raises IOError: If ``cafile`` can't be read.
    :raises ssl.SSLError: If it holds no usable certificate.
    """
    # Without a cafile this loads the system store, which honours the
    # OpenSSL variables.
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cafile is None:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


def is_ip_address(host):
    """True if ``host`` is an IPv4 or IPv6 address rather than a name."""
    return _packed_address(host) is not None


def _packed_address(host):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_pton(family, host)
        except (socket.error, ValueError, OSError):
            continue
    return None


def check_ip_address(cert, address):
    """Check that a certificate names ``address`` in an IP SAN (RFC 6125).

    Python 2.7's ``ssl.match_hostname`` refuses every IP address, so
    Lomond's own contexts check IP hosts with this instead.

    :param dict cert: ``SSLSocket.getpeercert()``.
    :raises lomond.errors.ConnectFail: If it doesn't.
    """
    wanted = _packed_address(address)
    names = [value for key, value in cert.get("subjectAltName", ()) if key == "IP Address"]
    if not any(_packed_address(name.strip()) == wanted for name in names):
        raise ConnectFail(
            "TLS certificate verify failed: IP address mismatch, certificate is not valid for {!r}.".format(address)
        )


def describe_tls_error(error):
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


class TLSLayer(object):
    """TLS over memory buffers (sans-IO).

    Feed the encrypted bytes that arrive with :meth:`receive`; send what
    :meth:`encrypted_output` returns after every call that may produce
    some (:meth:`do_handshake`, :meth:`write`, and :meth:`read_into`, for
    a TLS 1.3 key update).

    :param ssl.SSLContext context: The context.
    :param str server_hostname: The server's name, for SNI and the
        certificate check.
    """

    def __init__(self, context, server_hostname):
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)

    def do_handshake(self):
        """Advance the handshake.

        :returns: True once it is complete; False when it needs more bytes
            from the server (send :meth:`encrypted_output` first).
        :raises lomond.errors.ConnectFail: If it fails, saying why.
        """
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except _CERTIFICATE_ERRORS as error:
            raise ConnectFail(describe_tls_error(error))
        return True

    def receive(self, data):
        """Take encrypted bytes from the server."""
        self._incoming.write(data)

    def read_into(self, buffer):
        """Decrypt into ``buffer``.

        :returns: The count; 0 at the end of the stream; None if a whole
            record hasn't arrived yet.
        :raises lomond.errors.TransportFail: On a TLS error.
        """
        try:
            return self._tls.read(len(buffer), buffer)
        except ssl.SSLWantReadError:
            return None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return 0
        except ssl.SSLError as error:
            if is_unexpected_eof(error):
                return 0
            raise TransportFail("TLS error; {}".format(error))

    def write(self, data):
        """Encrypt all of ``data`` (then send :meth:`encrypted_output`).

        :raises lomond.errors.TransportFail: On a TLS error.
        """
        try:
            self._tls.write(data)
        except ssl.SSLError as error:
            raise TransportFail("TLS error while sending; {}".format(error))

    def has_output(self):
        """True if there are encrypted bytes to send."""
        return self._outgoing.pending > 0

    def encrypted_output(self):
        """Return (and forget) the encrypted bytes to send."""
        return self._outgoing.read()

    def encrypted_pending(self):
        """Encrypted bytes received and not yet decrypted."""
        return self._incoming.pending

    def pending(self):
        """Decrypted bytes ready to read."""
        return self._tls.pending()

    def getpeercert(self):
        return self._tls.getpeercert()

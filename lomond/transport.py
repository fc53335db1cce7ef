"""A connected socket, plain or TLS, and the few operations the loop needs.

A :class:`Transport` wraps one connected, non-blocking socket. None of its
operations ever blocks: waiting is done apart from them (:mod:`lomond.wait`),
so a driver can hold a lock around a receive or a send without ever holding
it across a wait. Every socket error becomes a
:class:`~lomond.errors.TransportFail` whose message a person can act on.

The TLS rule this library exists for: bytes that OpenSSL has already
decrypted sit in its buffer, where ``select`` and ``poll`` can't see them.
So before waiting, the loop asks :meth:`Transport.pending` and reads those
first; otherwise it would stall until the server happened to send more.
"""

import errno
import logging
import socket
import ssl
import sys

from .errors import TransportFail

log = logging.getLogger("lomond")

_WOULD_BLOCK = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)

#: The most bytes handed to one ``send`` call (for TLS, one ``SSL_write``,
#: which must be retried with the same bytes when it can't finish).
SEND_CHUNK = 256 * 1024


def describe_socket_error(error):
    """Words for a socket error: ``'[Errno 111] Connection refused'``."""
    if isinstance(error, socket.timeout):
        return "timed out"
    if getattr(error, "strerror", None):
        return "[Errno {}] {}".format(error.errno, error.strerror)
    return str(error) or error.__class__.__name__


def is_unexpected_eof(error):
    """True for OpenSSL 3's "unexpected eof while reading".

    Pythons older than 3.10 linked with OpenSSL 3 don't map it to
    SSLEOFError (the reason name even comes out garbled); it only means
    TCP ended without a TLS close_notify, like SSLEOFError.
    """
    return "unexpected eof while reading" in str(error).lower()


def _would_block(error):
    return isinstance(error, socket.error) and error.args and error.args[0] in _WOULD_BLOCK


class Transport(object):
    """A connected non-blocking socket, plain or TLS.

    :param sock: The socket (``ssl.SSLSocket`` for TLS).
    :param str proxy: The (credential-free) URL of the proxy the connection
        goes through, or None.
    """

    #: True if :meth:`has_backlog` can ever be true (bytes held back by the
    #: transport itself, after the socket took what it could).
    can_hold_back = False

    def __init__(self, sock, proxy=None):
        sock.setblocking(False)
        self.sock = sock
        self.proxy = proxy
        self.is_tls = isinstance(sock, ssl.SSLSocket)
        #: Set when a TLS send can only go on after the socket is readable
        #: (a renegotiation): the waiting sender then also waits for that.
        self.send_wants_read = False
        self.closed = False
        # Python 2.7's SSL sockets don't take memoryviews.
        self._send_copies = self.is_tls and sys.version_info[0] == 2

    def __repr__(self):
        return "<Transport {}{}>".format("TLS " if self.is_tls else "", "closed" if self.closed else "open")

    def fileno(self):
        return self.sock.fileno()

    def pending(self):
        """Bytes already decrypted and buffered by TLS (0 for plain TCP).

        Read them before waiting: they don't make the socket readable.
        """
        if self.is_tls and not self.closed:
            return self.sock.pending()
        return 0

    def recv_into(self, buffer):
        """Receive into ``buffer`` without blocking.

        :returns: The number of bytes received; 0 at the end of the stream;
            None if nothing was available after all.
        :raises lomond.errors.TransportFail: On a socket error.
        """
        if self.closed:
            raise TransportFail("the socket is closed")
        try:
            return self.sock.recv_into(buffer)
        except ssl.SSLWantReadError:
            return None  # only part of a TLS record has arrived
        except ssl.SSLWantWriteError:
            return None
        except ssl.SSLZeroReturnError:
            return 0  # the server ended TLS cleanly
        except ssl.SSLEOFError:
            return 0  # TCP ended without a TLS close_notify
        except ssl.SSLError as error:
            if is_unexpected_eof(error):
                return 0
            raise TransportFail("TLS error; {}".format(error))
        except socket.error as error:
            if _would_block(error):
                return None
            raise TransportFail(describe_socket_error(error))

    def send(self, data):
        """Send the start of ``data`` without blocking.

        After a return of 0, call again with the same bytes once the socket
        is writable (TLS requires it).

        :param data: bytes, bytearray or memoryview.
        :returns: How many bytes of ``data`` were taken (0 if none could be).
        :raises lomond.errors.TransportFail: On a socket error.
        """
        if self.closed:
            raise TransportFail("the socket is closed")
        if len(data) > SEND_CHUNK:
            data = memoryview(data)[:SEND_CHUNK]
        if self._send_copies and not isinstance(data, bytes):
            data = bytes(data) if not isinstance(data, memoryview) else data.tobytes()
        self.send_wants_read = False
        try:
            return self.sock.send(data)
        except ssl.SSLWantWriteError:
            return 0
        except ssl.SSLWantReadError:
            self.send_wants_read = True
            return 0
        except ssl.SSLError as error:
            raise TransportFail("TLS error while sending; {}".format(error))
        except socket.error as error:
            if _would_block(error):
                return 0
            raise TransportFail(describe_socket_error(error))

    def has_backlog(self):
        """True if the transport itself holds bytes back (a plain socket
        never does)."""
        return False

    def flush(self):
        """Send bytes the transport itself holds back, without blocking;
        True when none are left."""
        return True

    def shutdown(self):
        """Shut the connection down both ways, which wakes every thread
        waiting on the socket.

        Safe from any thread; the descriptor stays open until
        :meth:`close`, so it can't be reused under a waiting thread.
        """
        if self.closed:
            return
        try:
            # The plain socket's method: an SSLSocket's would also drop its
            # TLS object, under a thread that may be using it.
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except (OSError, socket.error, ValueError):
            pass

    def close(self):
        """Close the socket. Idempotent."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.close()
        except (OSError, socket.error):  # pragma: no cover - nothing to do
            log.debug("error closing socket", exc_info=True)


class LayeredTransport(Transport):
    """TLS to the server inside a connection that is itself TLS (to an
    ``https://`` proxy).

    The standard library can't wrap an ``SSLSocket`` in another, so the
    inner TLS runs in a :class:`~lomond.tls.TLSLayer` whose encrypted bytes
    travel through the outer socket.

    :param outer: The connected ``SSLSocket`` to the proxy (tunnel open).
    :param layer: The :class:`~lomond.tls.TLSLayer`, handshake done.
    """

    can_hold_back = True

    def __init__(self, outer, layer, proxy=None):
        Transport.__init__(self, outer, proxy=proxy)
        self.layer = layer
        self._scratch = bytearray(65536)
        # Encrypted bytes the outer socket has not taken yet; kept unchanged
        # until it does, as the outer TLS requires.
        self._backlog = b""
        # True when the inner TLS wants more bytes than the layer holds:
        # then what it holds is a partial record, not something to read.
        self._starved = False

    def pending(self):
        """Bytes readable without waiting: decrypted by either TLS layer,
        or whole inner records the layer still holds."""
        if self.closed:
            return 0
        held = 0 if self._starved else self.layer.encrypted_pending()
        return self.layer.pending() + held + Transport.pending(self)

    def recv_into(self, buffer):
        layer = self.layer
        while True:
            count = layer.read_into(buffer)
            if layer.has_output():  # e.g. a TLS 1.3 key update
                self._backlog += layer.encrypted_output()
                self.flush()
            if count is not None:
                return count
            self._starved = True
            pulled = Transport.recv_into(self, self._scratch)
            if not pulled:
                return pulled  # None: nothing yet; 0: end of the stream
            layer.receive(memoryview(self._scratch)[:pulled])
            self._starved = False

    def send(self, data):
        if not self.flush():
            return 0
        if len(data) > SEND_CHUNK:
            data = memoryview(data)[:SEND_CHUNK]
        self.layer.write(data)
        self._backlog = self.layer.encrypted_output()
        self.flush()
        return len(data)

    def has_backlog(self):
        return bool(self._backlog)

    def flush(self):
        while self._backlog:
            count = Transport.send(self, self._backlog)
            if not count:
                return False
            self._backlog = self._backlog[count:]
        return True

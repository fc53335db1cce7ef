"""Sockets: connect, wait, receive and send. The IO half of Lomond.

A :class:`Transport` wraps one connected, non-blocking socket (plain or TLS)
and offers the few operations the loop needs, each with a bound on how long
it may block. Every socket error becomes a :class:`~lomond.errors.ConnectFail`
(while connecting) or :class:`~lomond.errors.TransportFail` (afterwards)
whose message a person can act on.

The TLS rule this library exists for: bytes that OpenSSL has already
decrypted sit in its buffer, where ``select`` and ``poll`` can't see them.
So before waiting, the loop asks :meth:`Transport.pending` and reads those
first; otherwise it would stall until the server happened to send more.
"""

import errno
import logging
import select
import socket
import ssl
import sys

from .clock import monotonic
from .errors import ConnectFail, TransportFail

log = logging.getLogger("lomond")

_WOULD_BLOCK = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)

#: The most bytes handed to one ``send`` call.
SEND_CHUNK = 1024 * 1024



def _would_block(error):
    return isinstance(error, socket.error) and error.args and error.args[0] in _WOULD_BLOCK


def _wait(sock, for_write, timeout, also=None):
    """Wait until ``sock`` is readable (or writable); False on timeout.

    ``also`` is another socket whose readability ends the wait too.
    ``poll`` is used where it exists (``select`` fails for descriptors over
    1023, which long-running daemons reach); a timeout of None waits until
    something happens.
    """
    deadline = None if timeout is None else monotonic() + timeout
    readers = [] if also is None else [also]
    while True:
        try:
            if _HAVE_POLL:
                poller = select.poll()
                poller.register(sock, select.POLLOUT if for_write else select.POLLIN)
                for other in readers:
                    poller.register(other, select.POLLIN)
                millis = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
                return bool(poller.poll(millis))
            if for_write:
                ready, writable, errors = select.select(readers, [sock], [sock], timeout)
            else:
                ready, writable, errors = select.select([sock] + readers, [], [sock], timeout)
            return bool(ready or writable or errors)
        except (OSError, select.error) as error:
            # Python 2.7 doesn't retry a wait interrupted by a signal.
            if error.args and error.args[0] == errno.EINTR:
                if deadline is not None:
                    timeout = max(0.0, deadline - monotonic())
                continue
            raise


_HAVE_POLL = hasattr(select, "poll")


def _wake_pair():
    """A connected pair of sockets used to wake a waiting loop, or None."""
    try:
        reader, writer = socket.socketpair()
    except (AttributeError, OSError, socket.error):  # pragma: no cover
        return None, None
    reader.setblocking(False)
    writer.setblocking(False)
    return reader, writer


class Transport(object):
    """A connected non-blocking socket, plain or TLS.

    :param sock: The socket (``ssl.SSLSocket`` for TLS).
    :param str proxy: The URL of the proxy the connection goes through.
    :param bool wakeable: Make ``wake()`` work (it costs a socket pair).
    """

    def __init__(self, sock, proxy=None, wakeable=True):
        sock.setblocking(False)
        self.sock = sock
        self.proxy = proxy
        self.is_tls = isinstance(sock, ssl.SSLSocket)
        # Python 2.7's SSL sockets don't take memoryviews.
        self._send_copies = self.is_tls and sys.version_info[0] == 2
        self.closed = False
        # So that another thread (calling close(), say) can cut a wait short.
        self._wake_reader, self._wake_writer = _wake_pair() if wakeable else (None, None)
        self._wake_fd = None if self._wake_reader is None else self._wake_reader.fileno()
        # One poller for the life of the connection: registering the
        # sockets for every wait would cost more than the wait itself.
        self._poller = None
        if _HAVE_POLL:
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)
            if self._wake_reader is not None:
                self._poller.register(self._wake_reader, select.POLLIN)

    def __repr__(self):
        return "<Transport {}{}>".format(
            "TLS " if self.is_tls else "", "closed" if self.closed else "open"
        )

    def pending(self):
        """Bytes already decrypted and buffered by TLS (0 for plain TCP)."""
        if self.is_tls and not self.closed:
            return self.sock.pending()
        return 0

    def wait_readable(self, timeout):
        """Wait up to ``timeout`` seconds for data; True if there is some.

        Call :meth:`pending` first: bytes buffered by TLS don't wake it.
        """
        if self.closed:
            return True
        poller = self._poller
        if poller is None:  # no poll() on this platform
            try:
                ready = _wait(self.sock, False, timeout, self._wake_reader)
            except (OSError, ValueError, select.error):
                return True  # let the next recv report the problem
            if ready and self._wake_reader is not None:
                self._drain_wakes()
            return ready
        millis = None if timeout is None else int(timeout * 1000 + 0.999)
        while True:
            try:
                ready = poller.poll(millis)
                break
            except (OSError, select.error) as error:
                # Python 2.7 doesn't retry a poll interrupted by a signal.
                if error.args and error.args[0] == errno.EINTR:
                    continue
                return True
        if not ready:
            return False
        wake_fd = self._wake_fd
        for descriptor, _event in ready:
            if descriptor == wake_fd:
                self._drain_wakes()
        return True

    def wake(self):
        """Cut short a :meth:`wait_readable` in another thread.

        Safe from any thread; does nothing once closed.
        """
        if self.closed or self._wake_writer is None:
            return
        try:
            self._wake_writer.send(b"\0")
        except (OSError, socket.error):
            pass  # already pending (buffer full) or closing

    def _drain_wakes(self):
        try:
            while self._wake_reader.recv(64):
                pass
        except (OSError, socket.error):
            pass

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
            if _is_unexpected_eof(error):
                return 0
            raise TransportFail("TLS error; {}".format(error))
        except socket.error as error:
            if _would_block(error):
                return None
            raise TransportFail(_describe(error))

    def sendall(self, data, stall_timeout=None):
        """Send all of ``data``.

        :param bytes data: What to send.
        :param float stall_timeout: Fail if the server takes no data at all
            for this many seconds (None waits forever). The clock restarts
            whenever bytes go out, so a slow link is fine; a peer that has
            stopped reading is not.
        :raises lomond.errors.TransportFail: On a socket error or a stall.
        """
        if self.closed:
            raise TransportFail("the socket is closed")
        sock = self.sock
        size = len(data)
        sent = 0
        if size <= SEND_CHUNK and not self._send_copies:
            # Small writes almost always go out in one call.
            try:
                sent = sock.send(data)
            except (socket.error, ssl.SSLError):
                sent = 0  # the loop below finds out what is wrong
            if sent == size:
                return
        view = memoryview(data)
        while sent < size:
            try:
                chunk = view[sent : sent + SEND_CHUNK]
                count = sock.send(chunk.tobytes() if self._send_copies else chunk)
            except ssl.SSLWantWriteError:
                count = None
                wait_write = True
            except ssl.SSLWantReadError:
                count = None
                wait_write = False
            except ssl.SSLError as error:
                raise TransportFail("TLS error while sending; {}".format(error))
            except socket.error as error:
                if not _would_block(error):
                    raise TransportFail(_describe(error))
                count = None
                wait_write = True
            if count:
                sent += count
                continue
            try:
                ready = _wait(sock, wait_write, stall_timeout)
            except (OSError, ValueError, select.error) as error:
                raise TransportFail(_describe(error))
            if not ready:
                raise TransportFail(
                    "send stalled: the server took no data for {:g}s".format(stall_timeout)
                )

    def shutdown(self):
        """Shut the socket down in both directions (wakes a waiting loop).

        Safe from any thread; the descriptor stays open until
        :meth:`close`, so it can't be reused under the loop's feet.
        """
        if self.closed:
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, socket.error, ValueError):
            pass

    def close(self):
        """Close the socket. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for sock in (self.sock, self._wake_reader, self._wake_writer):
            if sock is None:
                continue
            try:
                sock.close()
            except (OSError, socket.error):  # pragma: no cover - nothing to do
                log.debug("error closing socket", exc_info=True)


def _is_unexpected_eof(error):
    """True for OpenSSL 3's "unexpected eof while reading".

    Pythons older than 3.10 linked with OpenSSL 3 don't map it to
    SSLEOFError (the reason name even comes out garbled); it only means
    TCP ended without a TLS close_notify, like SSLEOFError.
    """
    return "unexpected eof while reading" in str(error).lower()


def _describe(error):
    """Words for a socket error: ``'[Errno 111] Connection refused'``."""
    if isinstance(error, socket.timeout):
        return "timed out"
    if getattr(error, "strerror", None):
        return "[Errno {}] {}".format(error.errno, error.strerror)
    return str(error) or error.__class__.__name__


def resolve(host, port):
    """Every address ``host`` resolves to, for TCP.

    DNS can't be given a timeout without a thread, so it is bounded by the
    system resolver's own limits (``/etc/resolv.conf``).

    :raises lomond.errors.ConnectFail: If the name doesn't resolve.
    """
    try:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectFail(
            "DNS lookup of {!r} failed: {}".format(host, error.strerror or error)
        )
    except (socket.error, UnicodeError) as error:
        raise ConnectFail("DNS lookup of {!r} failed: {}".format(host, error))


def connect_tcp(host, port, deadline):
    """Connect to the first address of ``host`` that answers.

    Each address gets an equal share of the time left, so an unreachable
    IPv6 address doesn't use up the whole budget.

    :param float deadline: Monotonic time by which to give up.
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
        share = remaining / (len(addresses) - index)
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(share)
            sock.connect(address)
        except (socket.error, OSError) as error:
            sock.close()
            failures.append("{}: {}".format(address[0], _describe(error)))
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock
    raise ConnectFail(
        "unable to connect to {} port {} ({})".format(host, port, "; ".join(failures))
    )

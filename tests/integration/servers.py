"""Scripted servers on 127.0.0.1 (port 0) for the integration tests.

Every server binds before the client starts, signals readiness by being
bound (no sleeps), and is joined in ``stop()``. TIMEOUT is the one time
unit of the whole suite.
"""

import socket
import ssl
import threading

from lomond.frame_parser import FrameParser
from lomond.handshake import accept_key
from lomond.opcode import Opcode

#: Every blocking wait in the tests is bounded by this.
TIMEOUT = 10.0


def new_server_context():
    """A TLS server context without a certificate yet (``PROTOCOL_TLS_SERVER``
    where it exists, so no deprecation warning on Python 3.10+)."""
    return ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_SERVER", ssl.PROTOCOL_SSLv23))


class RawServer(object):
    """Accepts connections and runs ``script(sock)`` on each, in a thread.

    The script gets a blocking socket with a TIMEOUT and may do anything,
    including nothing at all.
    """

    def __init__(self, script, ssl_context=None, host="127.0.0.1"):
        self.script = script
        self.ssl_context = ssl_context
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.accepted = threading.Event()
        self.done = threading.Event()
        self.errors = []
        self.sockets = []
        self._stop = threading.Event()
        self._threads = []
        self._thread = threading.Thread(target=self._accept, name="lomond-test-raw")
        self._thread.daemon = True
        self._thread.start()

    def url(self, scheme="ws", path="/"):
        host = "[{}]".format(self.host) if ":" in self.host else self.host
        return "{}://{}:{}{}".format(scheme, host, self.port, path)

    def _accept(self):
        while not self._stop.is_set():
            try:
                sock, _address = self.listener.accept()
            except socket.timeout:
                continue
            except (OSError, socket.error):
                return
            thread = threading.Thread(target=self._run, args=(sock,), name="lomond-test-raw-conn")
            thread.daemon = True
            self._threads.append(thread)
            thread.start()

    def _run(self, sock):
        self.sockets.append(sock)
        self.accepted.set()
        try:
            sock.settimeout(TIMEOUT)
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
                self.sockets.append(sock)
            self.script(sock)
        except Exception as error:  # kept for the test to assert on
            self.errors.append(error)
        finally:
            self.done.set()
            try:
                sock.close()
            except (OSError, socket.error):
                pass

    def stop(self):
        self._stop.set()
        try:
            # Wakes the accept() at once (Linux), instead of at its next
            # 0.2 s timeout: most tests start and stop a server.
            self.listener.shutdown(socket.SHUT_RDWR)
        except (OSError, socket.error):
            pass
        self._thread.join(TIMEOUT)
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, socket.error, ValueError):
                pass
        for thread in self._threads:
            thread.join(TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def read_request(sock):
    """Read an HTTP head (a request, or the response a raw client waits
    for) from a raw socket; return it (bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("the peer closed before the end of the HTTP head")
        data += chunk
    return data


def upgrade_response(request, extra=b""):
    """A valid 101 answer to ``request`` (bytes)."""
    key = None
    for line in request.split(b"\r\n"):
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
        + accept_key(key).encode("ascii")
        + b"\r\n"
        + extra
        + b"\r\n"
    )


def accept_upgrade(sock):
    """Do the server half of the handshake on a raw socket."""
    sock.sendall(upgrade_response(read_request(sock)))


def drain(sock):
    """Read until the client closes (or TIMEOUT); return what arrived."""
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError, socket.error):
        pass
    return data


def read_until_close(sock):
    """Read client frames until a close frame (or EOF); return the bytes.

    Returning ends the script, which closes the socket: as RFC 6455 asks,
    the server closes the TCP connection first.
    """
    parser = FrameParser(server_role=True)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError, socket.error):
            return data
        if not chunk:
            return data
        data += chunk
        frames = parser.feed(chunk)
        if any(frame.opcode == Opcode.CLOSE for frame in frames) or parser.error:
            return data

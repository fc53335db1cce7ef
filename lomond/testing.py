"""A small WebSocket server on the loopback interface, for tests and demos.

It is built from Lomond's own sans-IO pieces in the server role, runs one
thread per connection, binds ``127.0.0.1`` on a free port, and can
misbehave on purpose::

    from lomond.testing import WebSocketServer, echo

    with WebSocketServer(echo) as server:
        websocket = WebSocket(server.url)
        ...

A handler is a function called with a :class:`ServerConnection` in the
connection's own thread, after the handshake (unless ``handshake=False``).
It is not meant for production traffic.
"""

import base64
import logging
import socket
import ssl
import threading

from .compression import ServerDeflate
from .errors import ProtocolError, CriticalProtocolError
from .events import Binary, Closing, Ping, Pong, Text
from .frame import Frame, encode_frame
from .frame_parser import FrameParser
from .handshake import accept_key
from .message import MessageAssembler
from .opcode import Opcode
from .response import Request, RequestParser, split_list
from .status import Status

log = logging.getLogger("lomond.testing")

#: The timeout (seconds) of every blocking operation of the server.
TIMEOUT = 10.0


class ConnectionClosed(Exception):
    """The client closed the TCP connection."""


class ServerConnection(object):
    """One accepted connection, handed to the handler.

    :ivar sock: The socket (blocking, with a timeout), for raw tricks.
    :ivar Request request: The upgrade request, once read.
    :ivar deflate: The negotiated Deflate codec, or None.
    """

    def __init__(self, server, sock, address):
        self.server = server
        self.sock = sock
        self.address = address
        self.request = None
        self.deflate = None
        self.protocol = None
        self._head_parser = RequestParser()
        self._parser = None
        self._assembler = None
        self._frames = []
        self._send_lock = threading.Lock()

    # -- Handshake -----------------------------------------------------

    def read_request(self):
        """Read the upgrade request (done for you unless handshake=False).

        :rtype: Request
        """
        while self.request is None:
            data = self._recv()
            results = self._head_parser.feed(data)
            if results:
                self.request = results[0]
            elif self._head_parser.error is not None:
                raise ProtocolError("bad request head: {}".format(self._head_parser.error))
        return self.request

    def accept(self, protocol=None, extra_headers=(), deflate=None, accept_key_value=None):
        """Send the 101 response.

        :param str protocol: The subprotocol to choose, or None.
        :param list extra_headers: ``(name, value)`` pairs to add.
        :param ServerDeflate deflate: How to answer a compression offer
            (default: the server's setting).
        :param str accept_key_value: Send this Sec-WebSocket-Accept instead
            of the right one (to test clients).
        """
        request = self.read_request()
        key = request.get("sec-websocket-key", "").encode("ascii")
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Accept: {}".format(accept_key_value or accept_key(key)),
        ]
        if protocol is None and self.server.protocols:
            offered = split_list(request.get("sec-websocket-protocol", ""))
            for candidate in self.server.protocols:
                if candidate in offered:
                    protocol = candidate
                    break
        if protocol is not None:
            lines.append("Sec-WebSocket-Protocol: {}".format(protocol))
        self.protocol = protocol
        deflate = self.server.deflate if deflate is None else deflate
        offer = request.get("sec-websocket-extensions")
        if deflate is not None and offer:
            answer, codec = deflate.negotiate(offer)
            if answer is not None:
                lines.append("Sec-WebSocket-Extensions: {}".format(answer))
                self.deflate = codec
        for name, value in extra_headers:
            lines.append("{}: {}".format(name, value))
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self._parser = FrameParser(rsv1=self.deflate is not None, server_role=True)
        self._assembler = MessageAssembler(deflate=self.deflate)
        leftover = self._head_parser.unconsumed()
        if leftover:
            self._feed(leftover)

    def reject(self, status=403, reason="Forbidden", headers=(), body=b""):
        """Answer the upgrade with an HTTP error and close.

        :param int status: The status code.
        :param str reason: The reason phrase.
        :param list headers: ``(name, value)`` pairs.
        :param bytes body: The body.
        """
        self.read_request()
        lines = ["HTTP/1.1 {} {}".format(status, reason), "Content-Length: {}".format(len(body))]
        for name, value in headers:
            lines.append("{}: {}".format(name, value))
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.close_socket()

    # -- Receiving -----------------------------------------------------

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed("the client closed the connection")
        return data

    def _feed(self, data):
        self._frames.extend(self._parser.feed(data))
        if self._parser.error is not None and not self._frames:
            raise self._parser.error

    def recv_frame(self):
        """The next frame the client sent (unmasked).

        :rtype: lomond.frame.Frame
        :raises ConnectionClosed: At EOF.
        :raises socket.timeout: After the server's timeout.
        """
        while not self._frames:
            if self._parser.error is not None:
                raise self._parser.error
            self._feed(self._recv())
        return self._frames.pop(0)

    def recv(self, auto_pong=True, auto_close=True):
        """The next message or control event from the client.

        :returns: Text, Binary, Ping, Pong or Closing (lomond events).
        :raises ConnectionClosed: At EOF.
        """
        while True:
            frame = self.recv_frame()
            if frame.opcode <= Opcode.BINARY:
                event = self._assembler.feed(frame)
                if event is not None:
                    return event
            elif frame.opcode == Opcode.PING:
                if auto_pong:
                    self.send_frame(Opcode.PONG, frame.payload)
                return Ping(frame.payload)
            elif frame.opcode == Opcode.PONG:
                return Pong(frame.payload)
            else:
                payload = frame.payload
                code = None
                reason = ""
                if len(payload) >= 2:
                    code = (bytearray(payload)[0] << 8) | bytearray(payload)[1]
                    reason = payload[2:].decode("utf-8", "replace")
                if auto_close:
                    self.send_frame(Opcode.CLOSE, payload[:2])
                return Closing(code, reason)

    # -- Sending -------------------------------------------------------

    def send_raw(self, data):
        """Send bytes as they are."""
        with self._send_lock:
            self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", fin=True, rsv1=False, rsv2=False, rsv3=False, mask_key=None):
        """Send one frame, built exactly as asked (rules not checked)."""
        self.send_raw(encode_frame(opcode, payload, fin, rsv1, rsv2, rsv3, mask_key))

    def send_text(self, text, compress=True):
        """Send a text message (compressed if negotiated and asked)."""
        self._send_message(Opcode.TEXT, text.encode("utf-8"), compress)

    def send_binary(self, data, compress=True):
        """Send a binary message (compressed if negotiated and asked)."""
        self._send_message(Opcode.BINARY, bytes(data), compress)

    def _send_message(self, opcode, payload, compress):
        deflate = self.deflate
        if compress and deflate is not None and deflate.can_compress:
            with self._send_lock:
                frame = encode_frame(opcode, deflate.compress(payload), rsv1=True)
                self.sock.sendall(frame)
        else:
            self.send_frame(opcode, payload)

    def close(self, code=Status.NORMAL, reason=""):
        """Send a close frame with ``code`` (None for no code)."""
        payload = b"" if code is None else bytes(bytearray([code >> 8, code & 0xFF])) + reason.encode("utf-8")
        self.send_frame(Opcode.CLOSE, payload)

    def close_socket(self):
        """Close the TCP connection."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, socket.error):
            pass
        self.sock.close()

    def wait_for_eof(self, timeout=TIMEOUT):
        """Read and discard until the client closes TCP (or timeout).

        :returns: True if the client closed the connection.
        """
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except (socket.timeout, OSError, socket.error):
            return False
        return True


def _wake_accept(listener):
    """Make a thread blocked in ``listener.accept()`` return now (on Linux;
    elsewhere its 0.2 s timeout ends the wait)."""
    if listener is None:
        return
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except (OSError, socket.error):
        pass


def echo(conn):
    """A handler that echoes every message and answers the close."""
    while True:
        try:
            event = conn.recv()
        except (ConnectionClosed, ProtocolError, CriticalProtocolError, socket.error, OSError):
            break
        if isinstance(event, Text):
            conn.send_text(event.text)
        elif isinstance(event, Binary):
            conn.send_binary(event.data)
        elif isinstance(event, Closing):
            # RFC 6455 7.1.1: the server closes the TCP connection first.
            break


class WebSocketServer(object):
    """A threaded WebSocket server on 127.0.0.1, on a free port.

    :param handler: Called with each :class:`ServerConnection`.
    :param bool handshake: Accept the upgrade before calling the handler.
    :param ssl.SSLContext ssl_context: Serve TLS (wss://) with it.
    :param ServerDeflate deflate: Accept compression offers like this;
        None refuses compression.
    :param list protocols: Subprotocols the server supports, by preference.
    :param str host: The address to bind (loopback by default).
    """

    def __init__(
        self,
        handler=echo,
        handshake=True,
        ssl_context=None,
        deflate=ServerDeflate(),
        protocols=(),
        host="127.0.0.1",
    ):
        self.handler = handler
        self.handshake = handshake
        self.ssl_context = ssl_context
        self.deflate = deflate
        self.protocols = list(protocols)
        self.host = host
        self.connections = []
        self.errors = []
        self._listener = None
        self._threads = []
        self._accept_thread = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def port(self):
        return self._listener.getsockname()[1]

    @property
    def url(self):
        """The ws:// (or wss://) URL of the server."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        host = "[{}]".format(self.host) if ":" in self.host else self.host
        return "{}://{}:{}/".format(scheme, host, self.port)

    def start(self):
        """Bind and start accepting connections."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(1024)  # many clients may connect at once
        listener.settimeout(0.2)
        self._listener = listener
        self._accept_thread = threading.Thread(target=self._accept_loop, name="lomond-test-server")
        self._accept_thread.daemon = True
        self._accept_thread.start()
        return self

    def stop(self):
        """Stop accepting, close every connection and join the threads."""
        self._stopping.set()
        _wake_accept(self._listener)
        if self._accept_thread is not None:
            self._accept_thread.join(TIMEOUT)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            connections = list(self.connections)
            threads = list(self._threads)
        for conn in connections:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except (OSError, socket.error):
                pass
        for thread in threads:
            thread.join(TIMEOUT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                sock, address = self._listener.accept()
            except socket.timeout:
                continue
            except (OSError, socket.error):
                break
            thread = threading.Thread(target=self._serve, args=(sock, address), name="lomond-test-conn")
            thread.daemon = True
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock, address):
        conn = None
        try:
            sock.settimeout(TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
            conn = ServerConnection(self, sock, address)
            with self._lock:
                self.connections.append(conn)
            if self.handshake:
                conn.accept()
            self.handler(conn)
        except (ConnectionClosed, socket.timeout, ssl.SSLError, OSError, socket.error) as error:
            log.debug("test server connection ended: %r", error)
        except Exception as error:  # a handler bug: keep it for the test to see
            log.exception("test server handler failed")
            self.errors.append(error)
        finally:
            try:
                sock.close()
            except (OSError, socket.error):
                pass


class ConnectProxy(object):
    """A threaded HTTP CONNECT proxy on 127.0.0.1, on a free port.

    It counts the tunnels it opens (``tunnels``) and keeps the requests it
    received (``requests``), so a test can tell what went through it. Use
    it as a context manager (or call :meth:`start` and :meth:`stop`).

    :param tuple credentials: ``(user, password)`` to require, or None.
    :param int refuse_with: Answer every CONNECT with this status instead.
    """

    def __init__(self, credentials=None, refuse_with=None):
        self.credentials = credentials
        self.refuse_with = refuse_with
        self.tunnels = []
        self.requests = []
        self.listener = None
        #: The port, once started.
        self.port = None
        self._stop = threading.Event()
        self._threads = []
        self._sockets = []
        self._thread = None

    def start(self):
        """Bind and start accepting connections."""
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, name="lomond-test-proxy")
        self._thread.daemon = True
        self._thread.start()
        return self

    def url(self, user=None, password=None):
        userinfo = "" if user is None else "{}:{}@".format(user, password)
        return "http://{}127.0.0.1:{}".format(userinfo, self.port)

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _address = self.listener.accept()
            except socket.timeout:
                continue
            except (OSError, socket.error):
                return
            self._spawn(self._handle, client)

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, name="lomond-test-proxy-conn")
        thread.daemon = True
        self._threads.append(thread)
        thread.start()

    def _handle(self, client):
        self._sockets.append(client)
        client.settimeout(TIMEOUT)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.requests.append(head)
            lines = head.split(b"\r\n")
            method, authority, _version = lines[0].split(b" ")
            if self.refuse_with:
                client.sendall(b"HTTP/1.1 " + str(self.refuse_with).encode() + b" Refused\r\n\r\n")
                return
            if self.credentials is not None:
                expected = b"Basic " + base64.b64encode(":".join(self.credentials).encode("utf-8"))
                if b"Proxy-Authorization: " + expected not in lines:
                    client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                    return
            host, _colon, port = authority.decode("ascii").rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)), TIMEOUT)
            self._sockets.append(upstream)
            self.tunnels.append(authority.decode("ascii"))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._spawn(self._relay, upstream, client)
            self._relay(client, upstream)
        except (OSError, socket.error, ValueError):
            pass
        finally:
            client.close()

    @staticmethod
    def _relay(source, destination):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                destination.sendall(data)
        except (OSError, socket.error):
            pass
        try:
            destination.shutdown(socket.SHUT_WR)
        except (OSError, socket.error):
            pass

    def stop(self):
        """Stop accepting, close every tunnel and join the threads."""
        self._stop.set()
        _wake_accept(self.listener)
        if self._thread is not None:
            self._thread.join(TIMEOUT)
        if self.listener is not None:
            self.listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, socket.error):
                pass
        for thread in self._threads:
            thread.join(TIMEOUT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


__all__ = [
    "ConnectProxy",
    "ConnectionClosed",
    "Frame",
    "Request",
    "ServerConnection",
    "ServerDeflate",
    "WebSocketServer",
    "echo",
]

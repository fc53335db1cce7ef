"""Proxies for the tests: our own small CONNECT proxy, and pproxy.

Both listen on 127.0.0.1 port 0 and count the tunnels they open, so a test
can tell whether its connection really went through the proxy.
"""

import base64
import socket
import threading

from .servers import TIMEOUT


class ConnectProxy(object):
    """A threaded HTTP CONNECT proxy (runs on Python 2.7 too).

    :param tuple credentials: ``(user, password)`` to require, or None.
    :param int refuse_with: Answer every CONNECT with this status instead.
    """

    def __init__(self, credentials=None, refuse_with=None):
        self.credentials = credentials
        self.refuse_with = refuse_with
        self.tunnels = []
        self.requests = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads = []
        self._sockets = []
        self._thread = threading.Thread(target=self._accept, name="lomond-test-proxy")
        self._thread.start()

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
        self._stop.set()
        self._thread.join(TIMEOUT)
        self.listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, socket.error):
                pass
        for thread in self._threads:
            thread.join(TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


class PProxy(object):
    """The pproxy package's server, in this process, on a free port.

    :param str schemes: e.g. ``'http+socks4+socks5'`` or ``'http+ssl'``.
    :param tuple credentials: ``(user, password)`` to require, or None.
    :param ssl.SSLContext ssl_context: For a TLS listener.
    """

    def __init__(self, schemes="http+socks4+socks5", credentials=None, ssl_context=None):
        import asyncio

        import pproxy

        self.tunnels = []
        auth = "" if credentials is None else "#{}:{}".format(*credentials)
        self.loop = asyncio.new_event_loop()
        server = pproxy.Server("{}://127.0.0.1:0/{}".format(schemes, auth))
        if ssl_context is not None:
            server.sslserver = ssl_context

        def verbose(text):
            if "->" in str(text):
                self.tunnels.append(str(text))

        self._server = self.loop.run_until_complete(
            # authtime 0: pproxy otherwise trusts an address that once
            # authenticated, for 30 days, across servers in this process.
            server.start_server({"rserver": [], "verbose": verbose, "authtime": 0})
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self.loop.run_forever, name="lomond-test-pproxy")
        self._thread.daemon = True
        self._thread.start()

    def url(self, scheme="http", user=None, password=None):
        userinfo = "" if user is None else "{}:{}@".format(user, password)
        return "{}://{}127.0.0.1:{}".format(scheme, userinfo, self.port)

    def stop(self):
        def shutdown():
            self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(shutdown)
        self._thread.join(TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

"""Tunnels through proxies, as conversations in bytes (sans-IO).

An HTTP proxy opens a tunnel on ``CONNECT`` (RFC 7231 4.3.6); a SOCKS proxy
after a short binary exchange (SOCKS 4 and 4a; SOCKS 5, RFC 1928, with the
username and password of RFC 1929). Each is a :class:`Tunnel`: the driver
sends :meth:`~Tunnel.data_to_send`, feeds what the proxy answers to
:meth:`~Tunnel.receive` until ``is_open``, and then uses the
connection as if it went straight to the server. Every driver runs the
same conversations, within its own deadline.
"""

import socket
import struct

from .errors import ProxyFail
from .parser import ParseOverflow, Parser
from .response import ResponseParser


def connect_request(host, port, authorization=None):
    """The CONNECT request for a tunnel to ``host:port``.

    :rtype: bytes
    """
    # RFC 7230 5.3.3: the authority form, always with the port.
    authority = "{}:{}".format("[{}]".format(host) if ":" in host else host, port)
    lines = [
        "CONNECT {} HTTP/1.1".format(authority),
        "Host: {}".format(authority),
    ]
    if authorization:
        lines.append("Proxy-Authorization: {}".format(authorization))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Tunnel(object):
    """One conversation with a proxy that ends with an open tunnel.

    :param proxy: The :class:`~lomond.proxy.ProxyURL`.
    :param str host: The WebSocket server's host (for SOCKS 4 and SOCKS 5
        without ``h``, its IP address, resolved by the driver).
    :param int port: The server's port.
    """

    def __init__(self, proxy, host, port):
        self.proxy = proxy
        self.host = host
        self.port = port
        #: True once the proxy has opened the tunnel.
        self.is_open = False

    def data_to_send(self):
        """Return (and forget) the bytes to send to the proxy."""
        raise NotImplementedError

    def receive(self, data):
        """Take bytes from the proxy.

        Next: send :meth:`data_to_send`; stop once ``is_open``.

        :raises lomond.errors.ProxyFail: If the proxy refuses, answers
            wrongly, or closes the connection (``data`` empty).
        """
        raise NotImplementedError

    def timed_out(self):
        """The error for a proxy that didn't finish in time."""
        return ProxyFail("proxy {} did not answer in time".format(self.proxy.url))


class HTTPTunnel(Tunnel):
    """An HTTP CONNECT tunnel (``http://`` and ``https://`` proxies)."""

    def __init__(self, proxy, host, port):
        Tunnel.__init__(self, proxy, host, port)
        self._out = connect_request(host, port, proxy.authorization())
        self._parser = ResponseParser()

    def data_to_send(self):
        out, self._out = self._out, b""
        return out

    def receive(self, data):
        proxy = self.proxy.url
        if not data:
            raise ProxyFail("proxy {} closed the connection during CONNECT".format(proxy))
        parser = self._parser
        results = parser.feed(data)
        if results:
            response = results[0]
            if not 200 <= response.status_code < 300:
                raise ProxyFail(
                    "proxy {} refused the tunnel: {} {}".format(
                        proxy, response.status_code, response.status
                    ).rstrip()
                )
            if parser.unconsumed():
                raise ProxyFail("proxy {} sent data before the tunnel was used".format(proxy))
            self.is_open = True
        elif parser.error is not None:
            detail = parser.error
            if isinstance(detail, ParseOverflow):
                detail = "response head too large"
            raise ProxyFail("proxy {} sent an invalid response: {}".format(proxy, detail))

    def timed_out(self):
        return ProxyFail("proxy {} did not answer CONNECT in time".format(self.proxy.url))


# -- SOCKS ---------------------------------------------------------------------------

#: RFC 1928 6: the REP field of a SOCKS 5 reply.
_SOCKS5_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}

#: The CD field of a SOCKS 4 reply.
_SOCKS4_REPLIES = {
    91: "request rejected or failed",
    92: "request rejected: the proxy could not reach the client's identd",
    93: "request rejected: identd reported a different user id",
}

_NO_AUTHENTICATION = 0
_USERNAME_PASSWORD = 2
_NO_ACCEPTABLE_METHOD = 0xFF


class _Send(object):
    """A result of the SOCKS conversation: bytes to send to the proxy."""

    __slots__ = ["data"]

    def __init__(self, data):
        self.data = data


class _Opened(object):
    """A result of the SOCKS conversation: the tunnel is open."""

    __slots__ = []


class _SocksError(Exception):
    """What went wrong, in words (the tunnel adds the proxy's name)."""


def _address_family(host):
    """AF_INET or AF_INET6 for an IP address, None for a name."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return family
        except (socket.error, ValueError, OSError):
            continue
    return None


def _length_prefixed(text, what):
    data = text.encode("utf-8") if not isinstance(text, bytes) else text
    if not 0 < len(data) < 256:
        raise _SocksError("the {} must be 1 to 255 bytes for SOCKS".format(what))
    return struct.pack("B", len(data)) + data


class _SocksConversation(Parser):
    """The SOCKS exchange as one generator, in the order of the RFCs."""

    def __init__(self, version, remote_dns, host, port, username, password):
        self.version = version
        self.remote_dns = remote_dns
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        Parser.__init__(self)

    def parse(self):
        if self.version == 4:
            yield _Send(self._socks4_request())
            self._check_socks4_reply((yield 8))
        else:
            yield _Send(self._socks5_greeting())
            if self._chosen_method((yield 2)) == _USERNAME_PASSWORD:
                yield _Send(self._credentials())
                self._check_authentication((yield 2))
            yield _Send(self._socks5_request())
            kind = self._check_socks5_reply((yield 4))
            # Then the address the proxy bound, which we don't need.
            if kind == 3:
                (length,) = struct.unpack("B", (yield 1))
                yield length + 2
            else:
                yield (4 if kind == 1 else 16) + 2
        yield _Opened()

    def _socks4_request(self):
        user = (self.username or "").encode("utf-8")
        head = struct.pack("!BBH", 4, 1, self.port)
        if self.remote_dns and _address_family(self.host) is None:
            # SOCKS 4a: the invalid address 0.0.0.1 says "the name follows"
            # (an IP address is sent as itself, as SOCKS 4 does).
            return head + b"\0\0\0\1" + user + b"\0" + self.host.encode("ascii") + b"\0"
        return head + socket.inet_aton(self.host) + user + b"\0"

    @staticmethod
    def _check_socks4_reply(reply):
        version, code = struct.unpack("!BB", reply[:2])
        if version != 0:
            raise _SocksError("not a SOCKS 4 reply (version {})".format(version))
        if code != 90:
            raise _SocksError(_SOCKS4_REPLIES.get(code, "unknown reply code {}".format(code)))

    def _socks5_greeting(self):
        # RFC 1928 3: offer the methods we can do.
        methods = [_NO_AUTHENTICATION]
        if self.username is not None:
            methods.append(_USERNAME_PASSWORD)
        return struct.pack("BB", 5, len(methods)) + bytes(bytearray(methods))

    def _chosen_method(self, reply):
        version, method = struct.unpack("BB", reply)
        if version != 5:
            raise _SocksError("not a SOCKS 5 reply (version {})".format(version))
        if method == _NO_ACCEPTABLE_METHOD:
            hint = "" if self.username is not None else "; does it need a user name and password?"
            raise _SocksError("the proxy accepts none of the offered methods" + hint)
        if method == _USERNAME_PASSWORD and self.username is not None:
            return method
        if method != _NO_AUTHENTICATION:
            raise _SocksError("the proxy chose method {}, which was not offered".format(method))
        return method

    def _credentials(self):
        # RFC 1929 2: version 1 of the username/password subnegotiation.
        return (
            b"\x01"
            + _length_prefixed(self.username, "user name")
            + _length_prefixed(self.password or "", "password")
        )

    @staticmethod
    def _check_authentication(reply):
        if struct.unpack("BB", reply)[1] != 0:
            raise _SocksError("the proxy refused the user name and password")

    def _socks5_request(self):
        # RFC 1928 4: CONNECT to a name (ATYP 3) or an address (1 or 4).
        family = _address_family(self.host)
        if family == socket.AF_INET:
            address = b"\x01" + socket.inet_aton(self.host)
        elif family == socket.AF_INET6:
            address = b"\x04" + socket.inet_pton(socket.AF_INET6, self.host)
        else:
            address = b"\x03" + _length_prefixed(self.host.encode("ascii"), "host name")
        return b"\x05\x01\x00" + address + struct.pack("!H", self.port)

    @staticmethod
    def _check_socks5_reply(reply):
        version, code, _reserved, kind = struct.unpack("BBBB", reply)
        if version != 5:
            raise _SocksError("not a SOCKS 5 reply (version {})".format(version))
        if code != 0:
            raise _SocksError(_SOCKS5_REPLIES.get(code, "unknown reply code {}".format(code)))
        if kind not in (1, 3, 4):
            raise _SocksError("unknown address type {} in the reply".format(kind))
        return kind


#: scheme: (SOCKS version, the proxy resolves the name)
SOCKS_SCHEMES = {
    "socks4": (4, False),
    "socks4a": (4, True),
    "socks5": (5, False),
    "socks5h": (5, True),
}


def resolves_locally(proxy):
    """True if the driver must resolve the server's name itself for this
    proxy (``socks4`` and ``socks5``; ``socks4a`` and ``socks5h`` let the
    proxy do it). SOCKS 4 takes an IPv4 address only."""
    kind = SOCKS_SCHEMES.get(proxy.scheme)
    return kind is not None and not kind[1]


class SocksTunnel(Tunnel):
    """A SOCKS 4, 4a, 5 or 5h tunnel."""

    def __init__(self, proxy, host, port):
        Tunnel.__init__(self, proxy, host, port)
        version, remote_dns = SOCKS_SCHEMES[proxy.scheme]
        self._out = []
        try:
            self._conversation = _SocksConversation(
                version, remote_dns, host, port, proxy.username, proxy.password
            )
        except (_SocksError, ValueError, UnicodeError, socket.error) as error:
            raise ProxyFail("SOCKS proxy {} failed: {}".format(proxy.url, error))
        self._take(self._conversation.feed(b""))

    def _take(self, results):
        for result in results:
            if isinstance(result, _Send):
                self._out.append(result.data)
            else:
                self.is_open = True
        error = self._conversation.error
        if error is not None:
            detail = str(error) if isinstance(error, _SocksError) else "invalid reply ({})".format(error)
            raise ProxyFail("SOCKS proxy {} failed: {}".format(self.proxy.url, detail))

    def data_to_send(self):
        out, self._out = b"".join(self._out), []
        return out

    def receive(self, data):
        if not data:
            raise ProxyFail(
                "SOCKS proxy {} failed: it closed the connection during the negotiation".format(self.proxy.url)
            )
        if self._conversation.is_finished:
            raise ProxyFail("SOCKS proxy {} sent data before the tunnel was used".format(self.proxy.url))
        self._take(self._conversation.feed(data))
        if self.is_open and self._conversation.unconsumed():
            raise ProxyFail("SOCKS proxy {} sent data before the tunnel was used".format(self.proxy.url))

    def timed_out(self):
        return ProxyFail("SOCKS proxy {} did not finish the negotiation in time".format(self.proxy.url))


def make_tunnel(proxy, host, port):
    """The conversation that opens a tunnel through ``proxy``.

    :rtype: Tunnel
    """
    if proxy.scheme in SOCKS_SCHEMES:
        return SocksTunnel(proxy, host, port)
    return HTTPTunnel(proxy, host, port)

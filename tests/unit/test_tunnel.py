"""Proxy tunnels in bytes: HTTP CONNECT and SOCKS 4, 4a, 5 and 5h."""

import pytest

from lomond.errors import ProxyFail
from lomond.proxy import ProxyURL
from lomond.tunnel import HTTPTunnel, SocksTunnel, connect_request, make_tunnel, resolves_locally

from .chunks import SPLITS

HTTP_PROXY = ProxyURL("http://proxy:3128")


def converse(tunnel, answer, split):
    """Feed ``answer`` in pieces until the tunnel is open; return what the
    tunnel sent after its first message."""
    sent = []
    for piece in split(answer):
        tunnel.receive(piece)
        sent.append(tunnel.data_to_send())
        if tunnel.is_open:
            break
    return b"".join(sent)


# -- HTTP CONNECT ------------------------------------------------------------------


def test_connect_request():
    assert connect_request("example.org", 443) == (
        b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"
    )
    assert connect_request("::1", 80, "Basic eA==") == (
        b"CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\nProxy-Authorization: Basic eA==\r\n\r\n"
    )


def test_connect_request_carries_the_proxy_credentials():
    tunnel = HTTPTunnel(ProxyURL("http://user:pass@proxy:3128"), "example.org", 443)
    assert b"\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n" in tunnel.data_to_send()
    assert tunnel.data_to_send() == b""


@pytest.mark.parametrize("split", SPLITS)
def test_connect_established(split):
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    tunnel.data_to_send()
    converse(tunnel, b"HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\n", split)
    assert tunnel.is_open


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("status", [b"403 Forbidden", b"407 Proxy Authentication Required", b"502 Bad Gateway"])
def test_connect_refused(status, split):
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    with pytest.raises(ProxyFail) as error:
        converse(tunnel, b"HTTP/1.1 " + status + b"\r\n\r\n", split)
    assert str(error.value) == "proxy http://proxy:3128 refused the tunnel: " + status.decode("ascii")


def test_connect_with_early_data():
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"HTTP/1.1 200 OK\r\n\r\nsurprise")
    assert "sent data before the tunnel was used" in str(error.value)


def test_connect_answer_that_is_not_http():
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"SSH-2.0-OpenSSH\r\n\r\n")
    assert "invalid response" in str(error.value)


def test_connect_answer_too_large():
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    with pytest.raises(ProxyFail) as error:
        for _ in range(20):
            tunnel.receive(b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"x" * 1000 + b"\r\n")
    assert "response head too large" in str(error.value)


def test_connect_proxy_closes():
    tunnel = HTTPTunnel(HTTP_PROXY, "example.org", 443)
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"")
    assert "closed the connection during CONNECT" in str(error.value)
    assert "did not answer CONNECT in time" in str(tunnel.timed_out())


# -- SOCKS ---------------------------------------------------------------------------


def socks(url, host="example.org", port=80):
    tunnel = make_tunnel(ProxyURL(url), host, port)
    assert isinstance(tunnel, SocksTunnel)
    return tunnel


@pytest.mark.parametrize("split", SPLITS)
def test_socks4_connects_to_an_address(split):
    tunnel = socks("socks4://proxy", "10.1.2.3", 8080)
    assert tunnel.data_to_send() == b"\x04\x01\x1f\x90\x0a\x01\x02\x03\x00"
    converse(tunnel, b"\x00\x5a\x00\x00\x00\x00\x00\x00", split)
    assert tunnel.is_open


def test_socks4_sends_the_user_id():
    tunnel = socks("socks4://alice@proxy", "10.1.2.3", 80)
    assert tunnel.data_to_send() == b"\x04\x01\x00\x50\x0a\x01\x02\x03alice\x00"


def test_socks4a_lets_the_proxy_resolve():
    tunnel = socks("socks4a://proxy", "example.org", 443)
    assert tunnel.data_to_send() == b"\x04\x01\x01\xbb\x00\x00\x00\x01\x00example.org\x00"


@pytest.mark.parametrize(
    "code, words",
    [(91, "request rejected or failed"), (92, "identd"), (93, "identd"), (99, "unknown reply code 99")],
)
def test_socks4_refusals(code, words):
    tunnel = socks("socks4://proxy", "10.1.2.3")
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(bytes(bytearray([0, code, 0, 0, 0, 0, 0, 0])))
    assert str(error.value).startswith("SOCKS proxy socks4://proxy:1080 failed: ")
    assert words in str(error.value)


@pytest.mark.parametrize("split", SPLITS)
def test_socks5h_without_credentials(split):
    tunnel = socks("socks5h://proxy", "example.org", 443)
    assert tunnel.data_to_send() == b"\x05\x01\x00"
    request = converse(tunnel, b"\x05\x00", split)
    assert request == b"\x05\x01\x00\x03\x0bexample.org\x01\xbb"
    converse(tunnel, b"\x05\x00\x00\x03\x04host\x00\x50", split)
    assert tunnel.is_open


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(
    "host, address, bound",
    [
        ("10.0.0.1", b"\x01\x0a\x00\x00\x01", b"\x01\x7f\x00\x00\x01\x04\x00"),
        ("::1", b"\x04" + b"\x00" * 15 + b"\x01", b"\x04" + b"\x00" * 16 + b"\x04\x00"),
    ],
)
def test_socks5_connects_to_an_address(split, host, address, bound):
    tunnel = socks("socks5://proxy", host, 80)
    tunnel.data_to_send()
    assert converse(tunnel, b"\x05\x00", split) == b"\x05\x01\x00" + address + b"\x00\x50"
    converse(tunnel, b"\x05\x00\x00" + bound, split)
    assert tunnel.is_open


@pytest.mark.parametrize("split", SPLITS)
def test_socks5_with_username_and_password(split):
    tunnel = socks("socks5h://us%20er:p%40ss@proxy")
    assert tunnel.data_to_send() == b"\x05\x02\x00\x02"
    assert converse(tunnel, b"\x05\x02", split) == b"\x01\x05us er\x04p@ss"
    assert converse(tunnel, b"\x01\x00", split).startswith(b"\x05\x01\x00\x03")
    converse(tunnel, b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", split)
    assert tunnel.is_open


def test_socks5_wrong_password():
    tunnel = socks("socks5h://user:nope@proxy")
    tunnel.data_to_send()
    tunnel.receive(b"\x05\x02")
    tunnel.data_to_send()
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"\x01\x01")
    assert "refused the user name and password" in str(error.value)
    assert "nope" not in str(error.value)


def test_socks5_that_wants_credentials_we_do_not_have():
    tunnel = socks("socks5h://proxy")
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"\x05\xff")
    assert "does it need a user name and password?" in str(error.value)


def test_socks5_choosing_a_method_not_offered():
    with pytest.raises(ProxyFail) as error:
        socks("socks5h://proxy").receive(b"\x05\x02")
    assert "method 2, which was not offered" in str(error.value)


@pytest.mark.parametrize(
    "code, words",
    [(1, "general SOCKS server failure"), (5, "connection refused"), (8, "address type not supported"), (42, "42")],
)
def test_socks5_refusals(code, words):
    tunnel = socks("socks5h://proxy")
    tunnel.receive(b"\x05\x00")
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(bytes(bytearray([5, code, 0, 1])))
    assert words in str(error.value)


@pytest.mark.parametrize("answer", [b"\x04\x00", b"HTTP/1.1 400 Bad Request\r\n\r\n"])
def test_socks5_answer_from_something_else(answer):
    with pytest.raises(ProxyFail) as error:
        socks("socks5h://proxy").receive(answer)
    assert "not a SOCKS 5 reply" in str(error.value)


def test_socks_early_data_and_eof():
    tunnel = socks("socks4a://proxy")
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"\x00\x5a" + b"\x00" * 6 + b"extra")
    assert "sent data before the tunnel was used" in str(error.value)
    with pytest.raises(ProxyFail) as error:
        socks("socks5h://proxy").receive(b"")
    assert "closed the connection" in str(error.value)
    assert "SOCKS" in str(socks("socks5h://proxy").timed_out())


def test_socks5_host_name_too_long():
    tunnel = socks("socks5h://proxy", "a." * 150 + "org")
    with pytest.raises(ProxyFail) as error:
        tunnel.receive(b"\x05\x00")
    assert "host name must be 1 to 255 bytes" in str(error.value)


@pytest.mark.parametrize(
    "url, local", [("socks4://p", True), ("socks5://p", True), ("socks4a://p", False), ("socks5h://p", False), ("http://p", False)]
)
def test_which_proxies_need_a_local_lookup(url, local):
    assert resolves_locally(ProxyURL(url)) is local


@pytest.mark.parametrize("scheme", ["socks4a", "socks5h"])
def test_an_ip_address_is_sent_as_an_address_even_when_the_proxy_resolves(scheme):
    sent = socks(scheme + "://proxy", "127.0.0.1", 80).data_to_send()
    if scheme == "socks4a":
        assert sent == b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00"
    else:
        tunnel = socks(scheme + "://proxy", "127.0.0.1", 80)
        tunnel.data_to_send()
        tunnel.receive(b"\x05\x00")
        assert tunnel.data_to_send() == b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50"

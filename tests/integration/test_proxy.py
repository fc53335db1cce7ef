"""Getting through proxies: HTTP CONNECT, HTTPS, SOCKS; refusals; NO_PROXY."""

import socket
import sys
import threading

import pytest

from lomond import WebSocket
from lomond.frame import encode_frame
from lomond.frame_parser import FrameParser
from lomond.handshake import Handshake, make_key
from lomond.opcode import Opcode
from lomond.testing import ConnectProxy

from .helpers import echo_once, names
from .proxies import PProxy
from .servers import TIMEOUT, RawServer, drain, read_request

# The test extra installs pproxy on Python 3.8+; there a missing pproxy is
# an error, not a skip. Our own ConnectProxy runs everywhere.
HAS_PPROXY = sys.version_info >= (3, 8)
needs_pproxy = pytest.mark.skipif(not HAS_PPROXY, reason="pproxy is a peer for Python 3.8+")


def assert_echoed(received):
    assert "text" in names(received), received
    assert received[-1].graceful


# -- HTTP CONNECT --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["own", pytest.param("pproxy", marks=needs_pproxy)])
def test_ws_through_an_http_proxy(driver, kind, echo_server):
    proxy = ConnectProxy() if kind == "own" else PProxy()
    with proxy:
        websocket = driver.WebSocket(echo_server.url, proxies={"http": proxy.url()})
        received = driver.run(websocket, echo_once)
    assert_echoed(received)
    assert received[1].proxy == "http://127.0.0.1:{}".format(proxy.port)
    assert len(proxy.tunnels) == 1


@pytest.mark.parametrize("kind", ["own", pytest.param("pproxy", marks=needs_pproxy)])
def test_wss_through_an_http_proxy_with_credentials(driver, kind, tls_echo_server, ca_file):
    credentials = ("proxy user", "p@ss:word")
    proxy = ConnectProxy(credentials) if kind == "own" else PProxy(credentials=credentials)
    with proxy:
        url = proxy.url(user="proxy%20user", password="p%40ss%3Aword")
        websocket = driver.WebSocket(tls_echo_server.url, proxies={"https": url}, ssl_cafile=ca_file)
        received = driver.run(websocket, echo_once)
    assert_echoed(received)
    assert received[1].proxy == "http://127.0.0.1:{}".format(proxy.port)  # no credentials


@needs_pproxy
def test_the_pproxy_peer_keeps_its_tunnels_through_a_garbage_collection(echo_server):
    """pproxy keeps no reference to a tunnel's relay tasks: a garbage
    collection while they wait to read destroyed them, and a client then
    waited for ever (seen as rare stalls of the tests above). The test
    harness holds them (tests/integration/proxies.py)."""
    import gc

    with PProxy() as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT)
        try:
            authority = "127.0.0.1:{}".format(echo_server.port).encode("ascii")
            sock.sendall(b"CONNECT " + authority + b" HTTP/1.1\r\nHost: " + authority + b"\r\n\r\n")
            assert read_request(sock).startswith(b"HTTP/1.1 200")
            sock.sendall(Handshake("127.0.0.1", echo_server.port, "/", key=make_key(b"k" * 16)).request())
            assert read_request(sock).startswith(b"HTTP/1.1 101")
            # Both relays now wait to read; collect on the proxy's own loop
            # (so that neither is half-way through a step).
            collected = threading.Event()
            proxy.loop.call_soon_threadsafe(lambda: (gc.collect(), collected.set()))
            assert collected.wait(TIMEOUT)
            sock.sendall(encode_frame(Opcode.TEXT, b"still there?", mask_key=b"abcd"))
            parser, echoed = FrameParser(), []
            while not echoed:
                data = sock.recv(1024)
                assert data, "the proxy closed the connection"
                echoed = parser.feed(data)
            assert [frame.payload for frame in echoed] == [b"still there?"]
        finally:
            sock.close()


def test_connect_request_names_the_target(driver, echo_server):
    with ConnectProxy() as proxy:
        driver.run(driver.WebSocket(echo_server.url, proxies={"http": proxy.url()}), echo_once)
    request = proxy.requests[0]
    authority = "127.0.0.1:{}".format(echo_server.port).encode("ascii")
    assert request.startswith(b"CONNECT " + authority + b" HTTP/1.1\r\n")
    assert b"\r\nHost: " + authority + b"\r\n" in request


def test_proxy_from_the_environment(driver, echo_server, monkeypatch):
    with ConnectProxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url())
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        received = driver.run(driver.WebSocket(echo_server.url), echo_once)
    assert_echoed(received)
    assert len(proxy.tunnels) == 1


def test_no_proxy_bypasses_the_environment_proxy(driver, echo_server, monkeypatch):
    with ConnectProxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url())
        monkeypatch.setenv("no_proxy", "example.com, 127.0.0.0/8")
        received = driver.run(driver.WebSocket(echo_server.url), echo_once)
    assert_echoed(received)
    assert received[1].proxy is None
    assert proxy.tunnels == []


def test_empty_dict_disables_detection(driver, echo_server, monkeypatch):
    with ConnectProxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url())
        received = driver.run(driver.WebSocket(echo_server.url, proxies={}), echo_once)
    assert_echoed(received)
    assert proxy.tunnels == []


@pytest.mark.parametrize("status", [403, 407, 502])
def test_proxy_refusal_names_proxy_and_status(driver, status, echo_server):
    with ConnectProxy(refuse_with=status) as proxy:
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": proxy.url()}))
    assert names(received) == ["connecting", "connect_fail"]
    reason = received[1].reason
    assert "proxy http://127.0.0.1:{}".format(proxy.port) in reason
    assert str(status) in reason


def test_wrong_proxy_credentials(driver, echo_server):
    with ConnectProxy(("user", "right")) as proxy:
        url = proxy.url(user="user", password="wrong")
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": url}))
    assert "407" in received[-1].reason
    assert "wrong" not in received[-1].reason


def test_proxy_that_never_answers(driver, echo_server):
    with RawServer(lambda sock: (read_request(sock), drain(sock))) as silent:
        url = "http://127.0.0.1:{}".format(silent.port)
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": url}), connect_timeout=0.5)
    assert names(received) == ["connecting", "connect_fail"]
    assert "did not answer" in received[1].reason


def test_unreachable_proxy(driver, echo_server, free_port):
    received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": "http://127.0.0.1:{}".format(free_port)}))
    assert "unable to connect to proxy" in received[-1].reason


# -- HTTPS proxies (TLS to the proxy, then the WebSocket's TLS inside) -------------


@needs_pproxy
def test_ws_through_an_https_proxy(driver, echo_server, server_ssl_context, ca_file):
    with PProxy("http+ssl", ssl_context=server_ssl_context) as proxy:
        websocket = driver.WebSocket(echo_server.url, proxies={"http": proxy.url("https")}, ssl_cafile=ca_file)
        received = driver.run(websocket, echo_once)
    assert_echoed(received)


@needs_pproxy
def test_wss_through_an_https_proxy_is_tls_in_tls(driver, tls_echo_server, server_ssl_context, ca_file):
    with PProxy("http+ssl", ssl_context=server_ssl_context, credentials=("u", "p")) as proxy:
        url = proxy.url("https", user="u", password="p")
        websocket = driver.WebSocket(tls_echo_server.url, proxies={"https": url}, ssl_cafile=ca_file)
        messages = [u"x" * 100000, u"small"]
        echoed = []

        def handler(ws, event):
            if event.name == "ready":
                for message in messages:
                    ws.send_text(message)
            elif event.name == "text":
                echoed.append(event.text)
                if len(echoed) == len(messages):
                    ws.close()

        # An hour between polls: a stall on bytes hidden in the inner TLS
        # layer fails the test instead of waiting for a timer.
        received = driver.run(websocket, handler, poll=3600)
    assert echoed == messages
    assert received[-1].graceful


@needs_pproxy
def test_https_proxy_certificate_is_verified(driver, echo_server, server_ssl_context):
    with PProxy("http+ssl", ssl_context=server_ssl_context) as proxy:
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": proxy.url("https")}))
    assert names(received) == ["connecting", "connect_fail"]
    assert "verify failed" in received[1].reason


# -- SOCKS ---------------------------------------------------------------------------


@needs_pproxy
@pytest.mark.parametrize("scheme", ["socks5", "socks5h", "socks4", "socks4a"])
def test_socks_proxies(driver, scheme, echo_server):
    with PProxy() as proxy:
        websocket = driver.WebSocket(echo_server.url, proxies={"http": proxy.url(scheme)})
        received = driver.run(websocket, echo_once)
    assert_echoed(received)
    assert received[1].proxy == "{}://127.0.0.1:{}".format(scheme, proxy.port)


@needs_pproxy
def test_socks5_with_credentials(driver, tls_echo_server, ca_file):
    with PProxy("socks5", credentials=("sock", "s3cret")) as proxy:
        url = proxy.url("socks5h", user="sock", password="s3cret")
        received = driver.run(driver.WebSocket(tls_echo_server.url, proxies={"https": url}, ssl_cafile=ca_file), echo_once)
    assert_echoed(received)


@needs_pproxy
def test_socks5_with_wrong_credentials(driver, echo_server):
    with PProxy("socks5", credentials=("sock", "s3cret")) as proxy:
        url = proxy.url("socks5", user="sock", password="nope")
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": url}))
    assert names(received) == ["connecting", "connect_fail"]
    assert "SOCKS proxy socks5://127.0.0.1:{} failed".format(proxy.port) in received[1].reason


@needs_pproxy
def test_socks_needs_no_other_package(driver, echo_server, monkeypatch):
    monkeypatch.setitem(sys.modules, "socks", None)  # as if PySocks were absent
    with PProxy() as proxy:
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": proxy.url("socks5h")}), echo_once)
    assert_echoed(received)


def test_socks_proxy_that_never_answers(driver, echo_server):
    with RawServer(drain) as silent:
        url = "socks5h://127.0.0.1:{}".format(silent.port)
        received = driver.run(driver.WebSocket(echo_server.url, proxies={"http": url}), connect_timeout=0.5)
    assert names(received) == ["connecting", "connect_fail"]
    assert received[1].reason == "SOCKS proxy {} did not finish the negotiation in time".format(url)


def test_bad_proxy_url_given_is_a_mistake(echo_server):
    with pytest.raises(ValueError) as error:
        WebSocket(echo_server.url, proxies={"http": "gopher://127.0.0.1:70"})
    assert "unsupported proxy scheme" in str(error.value)


def test_bad_proxy_url_in_the_environment_is_a_connect_fail(driver, echo_server, monkeypatch):
    monkeypatch.setenv("http_proxy", "gopher://127.0.0.1:70")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    received = driver.run(driver.WebSocket(echo_server.url))
    assert names(received) == ["connecting", "connect_fail"]
    assert "unsupported proxy scheme" in received[1].reason


def test_threads_are_only_the_servers(driver, echo_server):
    # The proxy machinery starts no threads of its own either.
    before = set(threading.enumerate())
    with ConnectProxy() as proxy:
        seen = []

        def handler(websocket, event):
            seen.extend(
                thread.name for thread in set(threading.enumerate()) - before
                if not thread.name.startswith("lomond-test")
            )
            echo_once(websocket, event)

        driver.run(driver.WebSocket(echo_server.url, proxies={"http": proxy.url()}), handler)
    assert seen == []

# -*- coding: utf-8 -*-
"""What the caller gives a WebSocket: checked when it is made, sent in its
wire form, and never leaked into events, logs or traces."""

import base64
import logging
import os
from contextlib import contextmanager

import pytest

from lomond import WebSocket
from lomond.testing import ConnectProxy

from .helpers import echo_once, names
from .servers import RawServer, drain, read_request

#: "localhost" in fullwidth letters: IDNA (nameprep) maps it to
#: "localhost", so it resolves without DNS. It proves the wiring of the
#: ASCII form; the punycode itself is tested in tests/unit/test_url.py.
FULLWIDTH_LOCALHOST = u"\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54"

SECRET = "Zq8S3cr3tPa55"


# -- Checked when the WebSocket is made ----------------------------------------


@pytest.mark.parametrize(
    "url, options",
    [
        (u"ws://host/", {"origin": u"https://a\r\nEvil: yes"}),
        (u"ws://host/", {"origin": u"https://\u4f8b\u3048.jp"}),
        (u"ws://host/", {"agent": u"Bot\nEvil: yes"}),
        (u"ws://host/", {"agent": u"Bot \u263a"}),
        (u"ws://host/", {"agent": u"Bot\x01"}),
        (u"ws://host/", {"headers": {"X-A": u"a\x7fb"}}),
        (u"ws://host/", {"headers": {"X(A)": u"x"}}),
        (u"ws://host/", {"protocols": [u"chat\r\n"]}),
        (u"ws://host:80:80/", {}),
        (u"ws://host:\u0668\u0660/", {}),
        (u"ws://user:pw@/", {}),
        (u"ws://host/a\r\nb", {}),
        (u"ws://a..\u00fc/", {}),
    ],
)
def test_bad_values_raise_when_the_websocket_is_made(url, options):
    with pytest.raises(ValueError):
        WebSocket(url, **options)


@pytest.mark.parametrize("name, value", [("X(A)", "x"), ("X-A", u"a\rb"), ("X-A", u"\u20ac")])
def test_add_header_checks_when_called(name, value):
    websocket = WebSocket("ws://host/")
    with pytest.raises(ValueError):
        websocket.add_header(name, value)
    assert websocket.headers == []


# -- Sent in wire form ------------------------------------------------------------


def test_a_non_ascii_path_and_query_are_sent_percent_encoded(driver, echo_server):
    url = u"ws://127.0.0.1:{}/chat/\u20ac?q=\u4e2d x%20y".format(echo_server.port)
    websocket = driver.WebSocket(url)
    received = driver.run(websocket, echo_once)
    assert received[-1].graceful
    assert echo_server.connections[0].request.path == "/chat/%E2%82%AC?q=%E4%B8%AD%20x%20y"
    assert websocket.url == url
    assert websocket.resource == "/chat/%E2%82%AC?q=%E4%B8%AD%20x%20y"


def test_a_fullwidth_host_name_is_sent_in_its_ascii_form(driver, echo_server):
    websocket = driver.WebSocket(u"ws://{}:{}/".format(FULLWIDTH_LOCALHOST, echo_server.port))
    received = driver.run(websocket, echo_once)
    assert received[-1].graceful
    assert websocket.host == "localhost"
    assert echo_server.connections[0].request.get("host") == "localhost:{}".format(echo_server.port)


def test_the_connect_line_carries_the_ascii_form_of_a_fullwidth_name(driver, echo_server):
    with ConnectProxy() as proxy:
        url = u"ws://{}:{}/".format(FULLWIDTH_LOCALHOST, echo_server.port)
        received = driver.run(driver.WebSocket(url, proxies={"http": proxy.url()}), echo_once)
    assert received[-1].graceful
    authority = "localhost:{}".format(echo_server.port).encode("ascii")
    (request,) = proxy.requests
    assert request.startswith(b"CONNECT " + authority + b" HTTP/1.1\r\nHost: " + authority + b"\r\n")
    assert echo_server.connections[0].request.get("host") == authority.decode("ascii")


def test_wss_to_a_fullwidth_name_checks_the_certificate_of_its_ascii_form(driver, tls_echo_server, ca_file):
    # The test certificate is for "localhost" (and 127.0.0.1, ::1).
    url = u"wss://{}:{}/".format(FULLWIDTH_LOCALHOST, tls_echo_server.port)
    received = driver.run(driver.WebSocket(url, ssl_cafile=ca_file), echo_once)
    assert "ready" in names(received)
    assert received[-1].graceful


def test_a_no_proxy_entry_written_in_another_form_bypasses_the_proxy(driver, echo_server):
    with ConnectProxy() as proxy:
        url = "ws://localhost:{}/".format(echo_server.port)
        websocket = driver.WebSocket(url, proxies={"http": proxy.url(), "no": FULLWIDTH_LOCALHOST})
        received = driver.run(websocket, echo_once)
    assert received[-1].graceful
    assert proxy.requests == []


@pytest.mark.parametrize("code", [1000.0, "1000", True])
def test_close_with_a_code_that_is_not_an_int(driver, echo_server, code):
    errors = []

    def handler(websocket, event):
        if event.name == "ready":
            try:
                websocket.close(code)
            except TypeError as error:
                errors.append(str(error))
            websocket.close()

    received = driver.run(driver.WebSocket(echo_server.url), handler)
    assert len(errors) == 1 and "must be an int" in errors[0]
    assert names(received)[-2:] == ["closed", "disconnected"]
    assert received[-1].graceful


# -- Secrets stay secret ----------------------------------------------------------


class _Collector(logging.Handler):
    def __init__(self, texts):
        logging.Handler.__init__(self, logging.DEBUG)
        self.texts = texts

    def emit(self, record):
        self.texts.append(self.format(record))


@contextmanager
def everything_said():
    """Collect every record of the ``lomond`` logger, at DEBUG."""
    texts = []
    logger = logging.getLogger("lomond")
    handler = _Collector(texts)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield texts
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def assert_secret_kept(texts, user="user"):
    """Neither the password nor the Basic credentials holding it appear."""
    basic = base64.b64encode(u"{}:{}".format(user, SECRET).encode("utf-8")).decode("ascii")
    leaks = [text for text in texts if SECRET in text or basic in text]
    assert leaks == []


def connect_and_collect(websocket_factory, driver=None):
    """Make a WebSocket and run it (with ``driver``, the blocking one if
    None); return every text it produced: exception messages, event
    reprs, log records and trace records.

    ``websocket_factory(trace, make)`` makes it with ``make``, the
    driver's WebSocket class."""
    from .drivers import SyncDriver

    driver = driver or SyncDriver()
    with everything_said() as texts:
        traces = []
        try:
            websocket = websocket_factory(traces.append, driver.WebSocket)
        except ValueError as error:
            texts.append(str(error))
            return texts, None
        received = driver.run(websocket)
        texts.extend(repr(event) for event in received)
        texts.extend(repr(record) for record in traces)
    assert traces, "the trace callable was not called"
    return texts, received


@pytest.fixture
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    "proxy",
    [
        u"http://user:{}@127.0.0.1:notaport",
        u"user:{}@127.0.0.1:3128x",
        u"http://user:{}@127.0.0.1:80:80",
        u"http://user:{}/x@127.0.0.1:abc",
        u"http://user:{}@",
        u"http://user:{}@[::1",
    ],
)
def test_a_malformed_proxy_from_the_environment_keeps_its_password(driver, clean_environment, free_port, proxy):
    clean_environment.setenv("http_proxy", str(proxy.format(SECRET)))
    url = "ws://127.0.0.1:{}/".format(free_port)
    texts, received = connect_and_collect(lambda trace, make: make(url, trace=trace), driver)
    assert names(received) == ["connecting", "connect_fail"]
    assert "http_proxy" in received[-1].reason
    assert any("connect to" in text and "***" in text for text in texts)
    assert_secret_kept(texts)


def test_a_malformed_proxy_option_keeps_its_password(clean_environment):
    texts, received = connect_and_collect(
        lambda trace, make: make(
            "ws://127.0.0.1:1/", proxies={"https": u"http://user:{}@p:x".format(SECRET)}, trace=trace
        )
    )
    assert received is None and "***" in texts[-1]
    assert_secret_kept(texts)


@pytest.mark.parametrize(
    "url",
    [
        u"ws://user:{}@127.0.0.1:80:80/",
        u"ws://user:{}@127.0.0.1:abc/",
        u"ws://user:{}@/chat",
        u"wss://user:{}@127.0.0.1/#top",
        u"ftp://user:{}@127.0.0.1/",
        u"ws://user:{}\n@127.0.0.1/",
        u"ws://user:{}/x@127.0.0.1:1/",
    ],
)
def test_a_malformed_url_keeps_its_password(url):
    texts, received = connect_and_collect(lambda trace, make: make(url.format(SECRET), trace=trace))
    assert received is None and "***" in texts[-1]
    assert_secret_kept(texts)


def redirecting_to(location):
    """A RawServer script: answer the upgrade with a 302 to ``location``."""

    def script(sock):
        read_request(sock)
        sock.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: " + location.encode("utf-8") + b"\r\nContent-Length: 0\r\n\r\n"
        )
        drain(sock)

    return script


@pytest.mark.parametrize(
    "location, options",
    [
        (u"ws://user:{}@127.0.0.1:1/", {}),  # not followed: wss:// to ws://
        (u"ws://user:{}@127.0.0.1:1/", {"max_redirects": 0}),
        (u"ftp://user:{}@127.0.0.1/", {}),
        (u"wss://user:{}@127.0.0.1:1:2/", {}),
        (u"wss://user:{}@[::1/", {}),
        (u"wss://user:{}@127.0.0.1/\x01", {}),
    ],
)
def test_a_refused_redirect_keeps_the_password_of_its_location(
    driver, server_ssl_context, ca_file, location, options
):
    with RawServer(redirecting_to(location.format(SECRET)), ssl_context=server_ssl_context) as server:
        texts, received = connect_and_collect(
            lambda trace, make: make(server.url("wss"), ssl_cafile=ca_file, trace=trace, **options), driver
        )
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert_secret_kept(texts)


def test_the_password_of_the_url_itself_is_kept(driver, free_port):
    url = u"ws://user:{}@127.0.0.1:{}/".format(SECRET, free_port)
    texts, received = connect_and_collect(lambda trace, make: make(url, trace=trace), driver)
    assert names(received) == ["connecting", "connect_fail"]
    assert any("user:***@127.0.0.1" in text for text in texts)
    assert_secret_kept(texts)

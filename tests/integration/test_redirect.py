"""Following redirects of the upgrade request."""

import logging

from lomond.testing import WebSocketServer, echo

from .helpers import echo_once, names


def routes(table, requests=None):
    """A handler: redirect by path per ``table``, echo on other paths."""

    def handler(conn):
        request = conn.read_request()
        if requests is not None:
            requests.append(request)
        target = table.get(request.path)
        if target is None:
            conn.accept()
            echo(conn)
        else:
            status, location = target
            conn.reject(status, "Redirect", headers=[("Location", location(conn.server) if callable(location) else location)])

    return handler


def test_relative_and_absolute_redirects(driver, caplog):
    table = {
        "/": (302, "/next"),
        "/next": (301, lambda server: "ws://127.0.0.1:{}/final?x".format(server.port)),
        "/final?x": (307, "final"),
    }
    with WebSocketServer(routes(table), handshake=False) as server:
        final = "ws://127.0.0.1:{}/final".format(server.port)
        with caplog.at_level(logging.INFO, logger="lomond"):
            received = driver.run(driver.WebSocket(server.url), echo_once)
    assert names(received) == ["connecting", "connected", "ready", "poll", "text", "closed", "disconnected"]
    assert received[2].url == final
    assert received[-1].graceful
    hops = [record.getMessage() for record in caplog.records if "redirected" in record.getMessage()]
    assert len(hops) == 3
    assert "redirected (302)" in hops[0]
    assert "disconnected" not in " ".join(record.getMessage() for record in caplog.records[:-1])


def test_too_many_redirects(driver):
    requests = []
    with WebSocketServer(routes({"/": (302, "/")}, requests), handshake=False) as server:
        received = driver.run(driver.WebSocket(server.url, max_redirects=3))
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert received[2].reason == "too many redirects (more than 3)"
    assert received[2].response.status_code == 302
    assert len(requests) == 4


def test_redirects_can_be_turned_off(driver):
    with WebSocketServer(routes({"/": (302, "/other")}), handshake=False) as server:
        received = driver.run(driver.WebSocket(server.url, max_redirects=0))
    assert names(received)[-2:] == ["rejected", "disconnected"]
    assert received[-2].response.get("location") == "/other"
    assert received[-2].reason == "server answered 302 Redirect instead of 101 Switching Protocols"


def test_no_downgrade_from_wss_to_ws(driver, server_ssl_context, ca_file):
    handler = routes({"/": (301, "ws://127.0.0.1:1/")})
    with WebSocketServer(handler, handshake=False, ssl_context=server_ssl_context) as server:
        received = driver.run(driver.WebSocket(server.url, ssl_cafile=ca_file))
    assert names(received)[-2:] == ["rejected", "disconnected"]
    assert "wss:// to ws://" in received[-2].reason


def test_credentials_stay_with_their_host(driver):
    seen = []
    with WebSocketServer(routes({}, seen), handshake=False) as other:
        table = {
            "/": (302, "/same-host"),
            "/same-host": (302, "ws://localhost:{}/elsewhere".format(other.port)),
        }
        first = []
        with WebSocketServer(routes(table, first), handshake=False) as server:
            url = "ws://user:secret@127.0.0.1:{}/".format(server.port)
            websocket = driver.WebSocket(url, headers=[("Cookie", "session=1"), ("X-Keep", "yes")])
            received = driver.run(websocket, echo_once)
    assert received[-1].graceful
    assert [request.get("authorization") for request in first] == ["Basic dXNlcjpzZWNyZXQ="] * 2
    assert [request.get("cookie") for request in first] == ["session=1"] * 2
    (elsewhere,) = seen
    assert elsewhere.path == "/elsewhere"
    assert elsewhere.get("authorization") is None
    assert elsewhere.get("cookie") is None
    assert elsewhere.get("x-keep") == "yes"


def test_redirect_to_a_server_that_is_down_ends_with_disconnected(driver, free_port):
    table = {"/": (302, "ws://127.0.0.1:{}/gone".format(free_port))}
    with WebSocketServer(routes(table), handshake=False) as server:
        received = driver.run(driver.WebSocket(server.url))
    assert names(received) == ["connecting", "connected", "disconnected"]
    assert received[-1].reason.startswith("redirect to ws://127.0.0.1:{}/gone failed; unable to connect".format(free_port))
    assert not received[-1].graceful

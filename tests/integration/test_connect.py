"""A connection's life over real loopback sockets: every ending included."""

import logging
import socket
import threading
import time

import pytest

from lomond import WebSocket
from lomond.errors import TransportFail, WebSocketClosed, WebSocketUnavailable
from lomond.frame import encode_frame
from lomond.frame_parser import FrameParser
from lomond.opcode import Opcode
from lomond.testing import WebSocketServer

from .helpers import Watchdog, names, send_and_close, socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade, drain, read_request, read_until_close


def from_another_thread(driver, websocket, function):
    """Call ``function`` from a new thread (with lomond.aio, the thread
    has the event loop call it, the thread-safe way)."""
    thread = threading.Thread(
        target=driver.call_from_thread, args=(websocket, function), name="lomond-test-caller"
    )
    thread.start()
    return thread


# -- The normal life ------------------------------------------------------


def test_echo_and_client_close(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    received = driver.run(websocket, send_and_close([u"hello", b"\x00\xff"]))
    assert names(received) == [
        "connecting", "connected", "ready", "poll", "text", "binary", "closed", "disconnected"
    ]
    assert received[4].text == u"hello"
    assert received[5].data == b"\x00\xff"
    assert received[-1].graceful
    assert all(event.received_time is not None for event in received)
    assert socket_closed(websocket)
    assert websocket.is_closed


def test_iterating_connects_with_defaults(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    received = driver.iterate(websocket, lambda ws, event: event.name == "ready" and ws.close())
    assert names(received) == ["connecting", "connected", "ready", "poll", "closed", "disconnected"]


def test_server_initiated_close_lets_the_client_answer(driver):
    got = {}

    def handler(conn):
        conn.close(1001, "going away")
        got["last"] = conn.recv()  # the client's answer to Closing
        got["echo"] = conn.recv(auto_close=False)
        conn.close_socket()

    with WebSocketServer(handler) as server:
        websocket = driver.WebSocket(server.url)

        def on_event(ws, event):
            if event.name == "closing":
                ws.send_text(u"bye then")

        received = driver.run(websocket, on_event)
    assert names(received)[-2:] == ["closing", "disconnected"]
    assert (received[-2].code, received[-2].reason) == (1001, u"going away")
    assert received[-1].graceful
    assert got["last"].text == u"bye then"
    assert got["echo"].code == 1001


# -- Failing to connect -------------------------------------------------------


def test_connection_refused(driver, free_port):
    received = driver.run(driver.WebSocket("ws://127.0.0.1:{}/".format(free_port)))
    assert names(received) == ["connecting", "connect_fail"]
    assert "refused" in received[1].reason


def test_dns_failure(driver, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    received = driver.run(driver.WebSocket("ws://no-such-host.invalid/"))
    assert names(received) == ["connecting", "connect_fail"]
    assert received[1].reason == "DNS lookup of 'no-such-host.invalid' failed: Name or service not known"


def test_server_accepts_and_never_answers(driver):
    with RawServer(lambda sock: (read_request(sock), drain(sock))) as server:
        received = driver.run(driver.WebSocket(server.url()), connect_timeout=0.5)
    assert names(received) == ["connecting", "connected", "disconnected"]
    assert not received[-1].graceful
    assert "timed out" in received[-1].reason


def test_rejected_upgrade(driver):
    def reject(conn):
        conn.reject(403, "Forbidden", headers=[("X-Reason", "no entry")], body=b"go away")

    with WebSocketServer(reject, handshake=False) as server:
        received = driver.run(driver.WebSocket(server.url))
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert received[2].response.status_code == 403
    assert received[2].response.get("x-reason") == "no entry"
    assert received[3].graceful


def test_not_a_websocket_server(driver):
    def http(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    with RawServer(http) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert "200" in received[2].reason


# -- Losing the connection -----------------------------------------------------


def test_server_drops_in_the_middle_of_a_frame(driver):
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"complete") + encode_frame(Opcode.TEXT, b"cut short")[:5])

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert [event.text for event in received if event.name == "text"] == [u"complete"]
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful
    assert "middle of a frame" in received[-1].reason


def test_server_closes_tcp_without_a_close_frame(driver):
    with RawServer(accept_upgrade) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert names(received) == ["connecting", "connected", "ready", "poll", "disconnected"]
    assert not received[-1].graceful


def test_server_that_ignores_the_close(driver):
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        websocket = driver.WebSocket(server.url())
        received = driver.run(websocket, lambda ws, event: event.name == "ready" and ws.close(), close_timeout=0.5)
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful
    assert "did not answer the close" in received[-1].reason
    assert socket_closed(websocket)


def test_dead_peer_is_caught_by_the_ping_timeout(driver):
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        received = driver.run(driver.WebSocket(server.url()), ping_rate=0.1, ping_timeout=0.3)
    assert names(received)[-2:] == ["unresponsive", "disconnected"]
    assert not received[-1].graceful


def test_too_large_message_is_refused_with_1009(driver):
    got = {}

    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.BINARY, b"x" * 2000))
        got["close"] = read_until_close(sock)

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url(), max_size=1000))
    assert "protocol_error" in names(received)
    assert not received[-1].graceful
    (close,) = FrameParser(server_role=True).feed(got["close"])
    assert close.opcode == Opcode.CLOSE
    assert close.payload[:2] == b"\x03\xf1"  # 1009


# -- Leaving the loop -----------------------------------------------------------


def test_breaking_out_closes_the_socket_and_allows_a_reconnect(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    driver.run(websocket, lambda ws, event: event.name == "ready")  # breaks out
    assert socket_closed(websocket)
    received = driver.run(websocket, send_and_close([u"again"]))
    assert names(received)[-2:] == ["closed", "disconnected"]


def test_exception_in_the_loop_closes_the_socket(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)

    def fail(ws, event):
        if event.name == "ready":
            raise KeyError("application bug")

    with pytest.raises(KeyError):
        driver.run(websocket, fail)
    assert socket_closed(websocket)


def test_context_manager_closes(echo_server):
    """The blocking WebSocket's ``with``; lomond.aio's ``async with`` is
    in test_aio.py."""
    with WebSocket(echo_server.url) as websocket:
        with Watchdog(websocket):
            for event in websocket.connect():
                if event.name == "ready":
                    break
    assert socket_closed(websocket)


def test_no_threads_are_started(driver, echo_server):
    seen = []

    def handler(websocket, event):
        seen.extend(
            thread.name
            for thread in threading.enumerate()
            if thread is not threading.current_thread() and not thread.name.startswith("lomond-test")
        )
        if event.name == "ready":
            websocket.close()

    driver.run(driver.WebSocket(echo_server.url), handler)
    assert seen == []


# -- Sending ----------------------------------------------------------------------


def test_sending_when_not_connected(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    with pytest.raises(WebSocketUnavailable):
        websocket.send_text(u"nobody there")
    websocket.close()  # nothing to close: no error
    driver.run(websocket, lambda ws, event: event.name == "ready" and ws.close())
    with pytest.raises(WebSocketClosed):
        websocket.send_text(u"too late")


def test_send_json(driver, echo_server):
    def handler(websocket, event):
        if event.name == "ready":
            websocket.send_json({"a": [1, 2]})
            websocket.send_json(b=None)
        elif event.name == "text" and event.json == {"b": None}:
            websocket.close()

    received = driver.run(driver.WebSocket(echo_server.url), handler)
    assert [event.json for event in received if event.name == "text"] == [{"a": [1, 2]}, {"b": None}]


def test_close_from_another_thread_wakes_the_loop(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    threads = []

    def handler(ws, event):
        if event.name == "ready":
            threads.append(from_another_thread(driver, ws, ws.close))

    received = driver.run(websocket, handler, poll=60)
    threads[0].join(TIMEOUT)
    assert names(received)[-2:] == ["closed", "disconnected"]


def test_force_disconnect_from_another_thread(driver, echo_server):
    websocket = driver.WebSocket(echo_server.url)
    threads = []

    def handler(ws, event):
        if event.name == "ready":
            threads.append(from_another_thread(driver, ws, ws.force_disconnect))

    received = driver.run(websocket, handler, poll=60)
    threads[0].join(TIMEOUT)
    assert names(received)[-1] == "disconnected"
    assert "forced" in received[-1].reason
    assert not received[-1].graceful


def test_send_to_a_peer_that_never_reads(driver):
    outcome = {}
    finished = threading.Event()

    def handler(ws, event):
        if event.name == "ready":
            driver.send_catching(ws, b"x" * 1024 * 1024, outcome, repeat=1000)

    def never_read(sock):
        accept_upgrade(sock)
        finished.wait(TIMEOUT)

    with RawServer(never_read) as server:
        try:
            received = driver.run(driver.WebSocket(server.url()), handler, send_timeout=0.5)
        finally:
            finished.set()
    assert isinstance(outcome.get("error"), TransportFail), outcome
    assert "stalled" in str(outcome["error"])
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful


# -- The request ---------------------------------------------------------------


def test_request_headers_and_credentials(driver):
    requests = []

    def script(sock):
        requests.append(read_request(sock))

    with RawServer(script) as server:
        url = "ws://alice:p%40ss@127.0.0.1:{}/path?q=1".format(server.port)
        websocket = driver.WebSocket(
            url, protocols=["chat"], origin="http://example.org", headers={"X-Token": "abc"}
        )
        websocket.add_header(b"X-Extra", b"1")
        driver.run(websocket)
    request = requests[0]
    assert request.startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Basic YWxpY2U6cEBzcw==\r\n" in request
    assert b"\r\nOrigin: http://example.org\r\n" in request
    assert b"\r\nSec-WebSocket-Protocol: chat\r\n" in request
    assert b"\r\nX-Token: abc\r\n" in request
    assert b"\r\nX-Extra: 1\r\n" in request
    assert "p@ss" not in repr(websocket)


def test_trace_records_steps_and_frames(driver, echo_server):
    records = []
    websocket = driver.WebSocket(echo_server.url, trace=records.append)
    driver.run(websocket, send_and_close([u"traced"]))
    stages = [record["stage"] for record in records]
    for stage in ("connect_start", "connected_tcp", "handshake_sent", "frame_sent", "frame_received", "disconnected"):
        assert stage in stages
    assert all(record["url"] == echo_server.url for record in records)


def test_peer_misbehaviour_logs_no_traceback(driver, caplog):
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(b"\x8f\x00")  # reserved opcode
        read_until_close(sock)

    with caplog.at_level(logging.DEBUG, logger="lomond"):
        with RawServer(script) as server:
            received = driver.run(driver.WebSocket(server.url()))
    assert "protocol_error" in names(received)
    assert not [record for record in caplog.records if record.exc_info and record.name.startswith("lomond")]


def test_ipv6_loopback(driver):
    from .conftest import has_ipv6

    if not has_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    from lomond.testing import echo

    with WebSocketServer(echo, host="::1") as server:
        received = driver.run(driver.WebSocket(server.url), send_and_close([u"over v6"]))
    assert received[4].text == u"over v6"


def test_close_from_another_thread_starts_the_close_timeout_at_once(driver):
    # No poll and no pings: only the wake-up can cut the loop's wait short.
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        websocket = driver.WebSocket(server.url())
        started = []
        timers = []

        def handler(ws, event):
            if event.name == "ready":
                started.append(time.time())
                timers.append(threading.Timer(0.1, driver.call_from_thread, (ws, ws.close)))
                timers[0].start()

        received = driver.run(websocket, handler, poll=0, close_timeout=0.5)
        timers[0].join(TIMEOUT)
    assert "did not answer the close" in received[-1].reason
    assert time.time() - started[0] < 0.1 + 0.5 + 1.0


def test_state_through_a_failed_connect(driver, free_port):
    websocket = driver.WebSocket("ws://127.0.0.1:{}/".format(free_port))
    assert (websocket.state, websocket.is_closed) == ("idle", False)
    states = []
    driver.run(websocket, lambda ws, _event: states.append(ws.state))
    assert states == ["connecting", "closed"]
    assert websocket.is_closed and not websocket.is_active


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_send_json_refuses_nan_and_infinity(driver, echo_server, value):
    """They are not JSON (RFC 8259 6); json.dumps would write NaN."""
    errors = []

    def handler(websocket, event):
        if event.name == "ready":
            for bad in (value, {"nested": [1, value]}):
                try:
                    websocket.send_json(bad)
                except ValueError as error:
                    errors.append(str(error))
            websocket.send_json(ok=True)
        elif event.name == "text":
            websocket.close()

    received = driver.run(driver.WebSocket(echo_server.url), handler)
    assert [event.json for event in received if event.name == "text"] == [{"ok": True}]
    assert len(errors) == 2 and all("NaN or infinity" in error for error in errors)


def test_send_json_keeps_other_errors(driver, echo_server):
    def handler(websocket, event):
        if event.name == "ready":
            loop = []
            loop.append(loop)
            with pytest.raises(ValueError) as error:
                websocket.send_json(loop)
            assert "NaN" not in str(error.value)
            with pytest.raises(TypeError):
                websocket.send_json(object())
            websocket.close()

    assert driver.run(driver.WebSocket(echo_server.url), handler)[-1].graceful


def test_send_json_without_arguments_sends_an_empty_object(driver, echo_server):
    def handler(websocket, event):
        if event.name == "ready":
            websocket.send_json()
        elif event.name == "text":
            websocket.close()

    received = driver.run(driver.WebSocket(echo_server.url), handler)
    assert [event.text for event in received if event.name == "text"] == [u"{}"]


def test_missing_ca_file_is_named(driver, free_port):
    received = driver.run(driver.WebSocket("wss://127.0.0.1:{}/".format(free_port), ssl_cafile="/no/such/ca.pem"))
    assert names(received) == ["connecting", "connect_fail"]
    assert "'/no/such/ca.pem'" in received[1].reason


def test_trace_never_shows_the_password(driver, echo_server):
    records = []
    url = echo_server.url.replace("ws://", "ws://user:hunter2@")
    driver.run(driver.WebSocket(url, trace=records.append), lambda ws, event: event.name == "ready" and ws.close())
    assert records and all("hunter2" not in repr(record) for record in records)


def test_library_logger_has_a_null_handler():
    assert any(isinstance(handler, logging.NullHandler) for handler in logging.getLogger("lomond").handlers)


def test_wrong_argument_types_raise_type_error_in_every_state(driver, echo_server):
    """The type is checked first: a caller's mistake says so whether or
    not the WebSocket is connected yet."""
    websocket = driver.WebSocket(echo_server.url)
    for call in (lambda: websocket.send_text(b"bytes"), lambda: websocket.send_binary(u"text")):
        with pytest.raises(TypeError):
            call()

    def handler(ws, event):
        if event.name == "connected":  # connected, not ready yet
            with pytest.raises(TypeError):
                ws.send_text(b"bytes")
        elif event.name == "ready":
            with pytest.raises(TypeError):
                ws.send_text(b"bytes")
            ws.close()

    assert driver.run(websocket, handler)[-1].graceful
    with pytest.raises(TypeError):
        websocket.send_text(b"bytes")


@pytest.mark.parametrize("ping_rate", [0, None])
def test_ping_timeout_without_pings_is_refused_at_once(driver, ping_rate):
    websocket = driver.WebSocket("ws://127.0.0.1:9/")
    with pytest.raises(ValueError) as error:
        websocket.connect(ping_rate=ping_rate, ping_timeout=5)
    assert "ping_timeout=5 has no effect" in str(error.value)
    assert websocket.state == "idle"


@pytest.mark.parametrize("option", ["poll", "close_timeout", "connect_timeout", "send_timeout", "ping_rate"])
def test_time_options_are_checked_at_once(driver, option):
    websocket = driver.WebSocket("ws://127.0.0.1:9/")
    with pytest.raises(ValueError):
        websocket.connect(**{option: -1})
    with pytest.raises(TypeError):
        websocket.connect(**{option: "30"})

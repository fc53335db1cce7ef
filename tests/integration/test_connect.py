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

from .helpers import Watchdog, names, run, send_and_close, socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade, drain, read_request, read_until_close


# -- The normal life ------------------------------------------------------


def test_echo_and_client_close(echo_server):
    websocket = WebSocket(echo_server.url)
    received = run(websocket, send_and_close([u"hello", b"\x00\xff"]))
    assert names(received) == [
        "connecting", "connected", "ready", "poll", "text", "binary", "closed", "disconnected"
    ]
    assert received[4].text == u"hello"
    assert received[5].data == b"\x00\xff"
    assert received[-1].graceful
    assert all(event.received_time is not None for event in received)
    assert socket_closed(websocket)
    assert websocket.is_closed


def test_iterating_connects_with_defaults(echo_server):
    websocket = WebSocket(echo_server.url)
    seen = []
    with Watchdog(websocket):
        for event in websocket:
            seen.append(event.name)
            if event.name == "ready":
                websocket.close()
    assert seen == ["connecting", "connected", "ready", "poll", "closed", "disconnected"]


def test_server_initiated_close_lets_the_client_answer():
    got = {}

    def handler(conn):
        conn.close(1001, "going away")
        got["last"] = conn.recv()  # the client's answer to Closing
        got["echo"] = conn.recv(auto_close=False)
        conn.close_socket()

    with WebSocketServer(handler) as server:
        websocket = WebSocket(server.url)

        def on_event(ws, event):
            if event.name == "closing":
                ws.send_text(u"bye then")

        received = run(websocket, on_event)
    assert names(received)[-2:] == ["closing", "disconnected"]
    assert (received[-2].code, received[-2].reason) == (1001, u"going away")
    assert received[-1].graceful
    assert got["last"].text == u"bye then"
    assert got["echo"].code == 1001


# -- Failing to connect -------------------------------------------------------


def test_connection_refused(free_port):
    received = run(WebSocket("ws://127.0.0.1:{}/".format(free_port)))
    assert names(received) == ["connecting", "connect_fail"]
    assert "refused" in received[1].reason


def test_dns_failure(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    received = run(WebSocket("ws://no-such-host.invalid/"))
    assert names(received) == ["connecting", "connect_fail"]
    assert received[1].reason == "DNS lookup of 'no-such-host.invalid' failed: Name or service not known"


def test_server_accepts_and_never_answers():
    with RawServer(lambda sock: (read_request(sock), drain(sock))) as server:
        received = run(WebSocket(server.url()), connect_timeout=0.5)
    assert names(received) == ["connecting", "connected", "disconnected"]
    assert not received[-1].graceful
    assert "timed out" in received[-1].reason


def test_rejected_upgrade():
    def reject(conn):
        conn.reject(403, "Forbidden", headers=[("X-Reason", "no entry")], body=b"go away")

    with WebSocketServer(reject, handshake=False) as server:
        received = run(WebSocket(server.url))
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert received[2].response.status_code == 403
    assert received[2].response.get("x-reason") == "no entry"
    assert received[3].graceful


def test_not_a_websocket_server():
    def http(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    with RawServer(http) as server:
        received = run(WebSocket(server.url()))
    assert names(received) == ["connecting", "connected", "rejected", "disconnected"]
    assert "200" in received[2].reason


# -- Losing the connection -----------------------------------------------------


def test_server_drops_in_the_middle_of_a_frame():
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"complete") + encode_frame(Opcode.TEXT, b"cut short")[:5])

    with RawServer(script) as server:
        received = run(WebSocket(server.url()))
    assert [event.text for event in received if event.name == "text"] == [u"complete"]
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful
    assert "middle of a frame" in received[-1].reason


def test_server_closes_tcp_without_a_close_frame():
    with RawServer(accept_upgrade) as server:
        received = run(WebSocket(server.url()))
    assert names(received) == ["connecting", "connected", "ready", "poll", "disconnected"]
    assert not received[-1].graceful


def test_server_that_ignores_the_close():
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        websocket = WebSocket(server.url())
        received = run(websocket, lambda ws, event: event.name == "ready" and ws.close(), close_timeout=0.5)
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful
    assert "did not answer the close" in received[-1].reason
    assert socket_closed(websocket)


def test_dead_peer_is_caught_by_the_ping_timeout():
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        received = run(WebSocket(server.url()), ping_rate=0.1, ping_timeout=0.3)
    assert names(received)[-2:] == ["unresponsive", "disconnected"]
    assert not received[-1].graceful


def test_too_large_message_is_refused_with_1009():
    got = {}

    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.BINARY, b"x" * 2000))
        got["close"] = read_until_close(sock)

    with RawServer(script) as server:
        received = run(WebSocket(server.url(), max_size=1000))
    assert "protocol_error" in names(received)
    assert not received[-1].graceful
    (close,) = FrameParser(server_role=True).feed(got["close"])
    assert close.opcode == Opcode.CLOSE
    assert close.payload[:2] == b"\x03\xf1"  # 1009


# -- Leaving the loop -----------------------------------------------------------


def test_breaking_out_closes_the_socket_and_allows_a_reconnect(echo_server):
    websocket = WebSocket(echo_server.url)
    with Watchdog(websocket):
        for event in websocket.connect():
            if event.name == "ready":
                break
    assert socket_closed(websocket)
    received = run(websocket, send_and_close([u"again"]))
    assert names(received)[-2:] == ["closed", "disconnected"]


def test_exception_in_the_loop_closes_the_socket(echo_server):
    websocket = WebSocket(echo_server.url)

    def fail():
        for event in websocket.connect():
            if event.name == "ready":
                raise KeyError("application bug")

    with Watchdog(websocket):
        with pytest.raises(KeyError):
            fail()
    assert socket_closed(websocket)


def test_context_manager_closes(echo_server):
    with WebSocket(echo_server.url) as websocket:
        with Watchdog(websocket):
            for event in websocket.connect():
                if event.name == "ready":
                    break
    assert socket_closed(websocket)


def test_no_threads_are_started(echo_server):
    seen = []

    def handler(websocket, event):
        seen.extend(
            thread.name
            for thread in threading.enumerate()
            if thread is not threading.current_thread() and not thread.name.startswith("lomond-test")
        )
        if event.name == "ready":
            websocket.close()

    run(WebSocket(echo_server.url), handler)
    assert seen == []


# -- Sending ----------------------------------------------------------------------


def test_sending_when_not_connected(echo_server):
    websocket = WebSocket(echo_server.url)
    with pytest.raises(WebSocketUnavailable):
        websocket.send_text(u"nobody there")
    websocket.close()  # nothing to close: no error
    run(websocket, lambda ws, event: event.name == "ready" and ws.close())
    with pytest.raises(WebSocketClosed):
        websocket.send_text(u"too late")


def test_send_json(echo_server):
    def handler(websocket, event):
        if event.name == "ready":
            websocket.send_json({"a": [1, 2]})
            websocket.send_json(b=None)
        elif event.name == "text" and event.json == {"b": None}:
            websocket.close()

    received = run(WebSocket(echo_server.url), handler)
    assert [event.json for event in received if event.name == "text"] == [{"a": [1, 2]}, {"b": None}]


def test_close_from_another_thread_wakes_the_loop(echo_server):
    websocket = WebSocket(echo_server.url)

    def handler(ws, event):
        if event.name == "ready":
            threading.Thread(target=ws.close, name="lomond-test-closer").start()

    received = run(websocket, handler, poll=60)
    assert names(received)[-2:] == ["closed", "disconnected"]


def test_force_disconnect_from_another_thread(echo_server):
    websocket = WebSocket(echo_server.url)

    def handler(ws, event):
        if event.name == "ready":
            threading.Thread(target=ws.force_disconnect, name="lomond-test-forcer").start()

    received = run(websocket, handler, poll=60)
    assert names(received)[-1] == "disconnected"
    assert "forced" in received[-1].reason
    assert not received[-1].graceful


def test_send_to_a_peer_that_never_reads():
    errors = []
    finished = threading.Event()

    def handler(ws, event):
        if event.name == "ready":
            try:
                for _ in range(1000):
                    ws.send_binary(b"x" * 1024 * 1024)
            except TransportFail as error:
                errors.append(error)

    def never_read(sock):
        accept_upgrade(sock)
        finished.wait(TIMEOUT)

    with RawServer(never_read) as server:
        try:
            received = run(WebSocket(server.url()), handler, send_timeout=0.5)
        finally:
            finished.set()
    assert errors and "stalled" in str(errors[0])
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful


# -- The request ---------------------------------------------------------------


def test_request_headers_and_credentials():
    requests = []

    def script(sock):
        requests.append(read_request(sock))

    with RawServer(script) as server:
        url = "ws://alice:p%40ss@127.0.0.1:{}/path?q=1".format(server.port)
        websocket = WebSocket(
            url, protocols=["chat"], origin="http://example.org", headers={"X-Token": "abc"}
        )
        websocket.add_header(b"X-Extra", b"1")
        run(websocket)
    request = requests[0]
    assert request.startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Basic YWxpY2U6cEBzcw==\r\n" in request
    assert b"\r\nOrigin: http://example.org\r\n" in request
    assert b"\r\nSec-WebSocket-Protocol: chat\r\n" in request
    assert b"\r\nX-Token: abc\r\n" in request
    assert b"\r\nX-Extra: 1\r\n" in request
    assert "p@ss" not in repr(websocket)


def test_trace_records_steps_and_frames(echo_server):
    records = []
    websocket = WebSocket(echo_server.url, trace=records.append)
    run(websocket, send_and_close([u"traced"]))
    stages = [record["stage"] for record in records]
    for stage in ("connect_start", "connected_tcp", "handshake_sent", "frame_sent", "frame_received", "disconnected"):
        assert stage in stages
    assert all(record["url"] == echo_server.url for record in records)


def test_peer_misbehaviour_logs_no_traceback(caplog):
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(b"\x8f\x00")  # reserved opcode
        read_until_close(sock)

    with caplog.at_level(logging.DEBUG, logger="lomond"):
        with RawServer(script) as server:
            received = run(WebSocket(server.url()))
    assert "protocol_error" in names(received)
    assert not [record for record in caplog.records if record.exc_info and record.name.startswith("lomond")]


def test_ipv6_loopback():
    from .conftest import has_ipv6

    if not has_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    from lomond.testing import echo

    with WebSocketServer(echo, host="::1") as server:
        received = run(WebSocket(server.url), send_and_close([u"over v6"]))
    assert received[4].text == u"over v6"


def test_close_from_another_thread_starts_the_close_timeout_at_once():
    # No poll and no pings: only the wake-up can cut the loop's wait short.
    with RawServer(lambda sock: (accept_upgrade(sock), drain(sock))) as server:
        websocket = WebSocket(server.url())
        started = []

        def handler(ws, event):
            if event.name == "ready":
                started.append(time.time())
                threading.Timer(0.1, ws.close).start()

        received = run(websocket, handler, poll=0, close_timeout=0.5)
    assert "did not answer the close" in received[-1].reason
    assert time.time() - started[0] < 0.1 + 0.5 + 1.0


def test_state_through_a_failed_connect(free_port):
    websocket = WebSocket("ws://127.0.0.1:{}/".format(free_port))
    assert (websocket.state, websocket.is_closed) == ("idle", False)
    states = [websocket.state for _event in websocket.connect()]
    assert states == ["connecting", "closed"]
    assert websocket.is_closed and not websocket.is_active


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_send_json_refuses_nan_and_infinity(echo_server, value):
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

    received = run(WebSocket(echo_server.url), handler)
    assert [event.json for event in received if event.name == "text"] == [{"ok": True}]
    assert len(errors) == 2 and all("NaN or infinity" in error for error in errors)


def test_send_json_keeps_other_errors(echo_server):
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

    assert run(WebSocket(echo_server.url), handler)[-1].graceful


def test_send_json_without_arguments_sends_an_empty_object(echo_server):
    def handler(websocket, event):
        if event.name == "ready":
            websocket.send_json()
        elif event.name == "text":
            websocket.close()

    received = run(WebSocket(echo_server.url), handler)
    assert [event.text for event in received if event.name == "text"] == [u"{}"]


def test_missing_ca_file_is_named(free_port):
    received = run(WebSocket("wss://127.0.0.1:{}/".format(free_port), ssl_cafile="/no/such/ca.pem"))
    assert names(received) == ["connecting", "connect_fail"]
    assert "'/no/such/ca.pem'" in received[1].reason


def test_trace_never_shows_the_password(echo_server):
    records = []
    url = echo_server.url.replace("ws://", "ws://user:hunter2@")
    run(WebSocket(url, trace=records.append), lambda ws, event: event.name == "ready" and ws.close())
    assert records and all("hunter2" not in repr(record) for record in records)


def test_library_logger_has_a_null_handler():
    assert any(isinstance(handler, logging.NullHandler) for handler in logging.getLogger("lomond").handlers)


def test_wrong_argument_types_raise_type_error_in_every_state(echo_server):
    """The type is checked first: a caller's mistake says so whether or
    not the WebSocket is connected yet."""
    websocket = WebSocket(echo_server.url)
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

    assert run(websocket, handler)[-1].graceful
    with pytest.raises(TypeError):
        websocket.send_text(b"bytes")


@pytest.mark.parametrize("ping_rate", [0, None])
def test_ping_timeout_without_pings_is_refused_at_once(ping_rate):
    websocket = WebSocket("ws://127.0.0.1:9/")
    with pytest.raises(ValueError) as error:
        websocket.connect(ping_rate=ping_rate, ping_timeout=5)
    assert "ping_timeout=5 has no effect" in str(error.value)
    assert websocket.state == "idle"


@pytest.mark.parametrize("option", ["poll", "close_timeout", "connect_timeout", "send_timeout", "ping_rate"])
def test_time_options_are_checked_at_once(option):
    websocket = WebSocket("ws://127.0.0.1:9/")
    with pytest.raises(ValueError):
        websocket.connect(**{option: -1})
    with pytest.raises(TypeError):
        websocket.connect(**{option: "30"})

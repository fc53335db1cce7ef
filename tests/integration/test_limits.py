"""Every limit, against a server that tries to break it."""

import select
import threading
import time

import pytest

from lomond.errors import TransportFail, WebSocketUnavailable
from lomond.frame import encode_frame
from lomond.frame_parser import FrameParser
from lomond.opcode import Opcode

from .drivers import exchange
from .helpers import names
from .servers import TIMEOUT, RawServer, accept_upgrade, drain, read_request, read_until_close, upgrade_response


def close_code(data):
    frames = [frame for frame in FrameParser(server_role=True).feed(data) if frame.opcode == Opcode.CLOSE]
    assert frames, "no close frame received"
    payload = bytearray(frames[0].payload)
    return (payload[0] << 8) | payload[1], bytes(payload[2:])


def test_response_head_over_16_kib(driver):
    def script(sock):
        read_request(sock)
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\n" + b"X-Filler: " + b"a" * 20000 + b"\r\n\r\n")
        drain(sock)

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert names(received) == ["connecting", "connected", "disconnected"]
    assert "invalid upgrade response: response head over 16384 bytes" in received[-1].reason


def test_too_many_response_headers(driver):
    def script(sock):
        request = read_request(sock)
        extra = b"".join(b"X-H" + str(index).encode() + b": v\r\n" for index in range(150))
        sock.sendall(upgrade_response(request, extra))
        drain(sock)

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert "more than 100 headers" in received[-1].reason


def test_trickled_handshake_is_bounded_by_connect_timeout(driver):
    stop = threading.Event()

    def script(sock):
        response = upgrade_response(read_request(sock))
        for byte in range(len(response) - 1):  # never quite finishes
            if stop.wait(0.2):
                return
            sock.sendall(response[byte : byte + 1])

    with RawServer(script) as server:
        started = time.time()
        try:
            received = driver.run(driver.WebSocket(server.url()), connect_timeout=1.0)
        finally:
            stop.set()
    assert time.time() - started < 1.0 + 0.5
    assert "timed out" in received[-1].reason


def test_endless_message_is_bounded_by_max_size(driver):
    got = {}

    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.BINARY, b"", fin=False))
        chunk = encode_frame(Opcode.CONTINUATION, b"x" * 65536, fin=False)
        parser = FrameParser(server_role=True)
        received = b""
        while True:
            sock.sendall(chunk)  # more of the message, forever
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                data = sock.recv(65536)
                received += data
                if not data or any(frame.opcode == Opcode.CLOSE for frame in parser.feed(data)):
                    break
        got["close"] = received

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url(), max_size=1024 * 1024))
    errors = [event for event in received if event.name == "protocol_error"]
    assert errors and "limit of 1048576" in errors[0].error
    assert close_code(got["close"])[0] == 1009


def test_oversized_ping_fails_the_connection(driver):
    got = {}

    def script(sock):
        accept_upgrade(sock)
        sock.sendall(b"\x89\x7e\x00\x80" + b"p" * 128)
        got["close"] = read_until_close(sock)

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url()))
    assert "protocol_error" in names(received)
    assert close_code(got["close"])[0] == 1002


def test_close_reason_is_cut_to_fit_a_control_frame(driver):
    got = {}

    def script(sock):
        accept_upgrade(sock)
        got["close"] = read_until_close(sock)

    with RawServer(script) as server:
        reason = u"\u00e9t\u00e9 " * 60

        def handler(websocket, event):
            if event.name == "ready":
                websocket.close(4000, reason)

        driver.run(driver.WebSocket(server.url()), handler, close_timeout=0.5)
    code, sent_reason = close_code(got["close"])
    assert code == 4000
    assert len(sent_reason) <= 123
    assert reason.startswith(sent_reason.decode("utf-8"))


def test_close_is_not_blocked_forever_by_a_stalled_peer(driver):
    release = threading.Event()
    outcome = {}
    senders = []

    def never_read(sock):
        accept_upgrade(sock)
        release.wait(TIMEOUT * 2)

    def handler(websocket, event):
        if event.name == "ready":
            # Far more than socket buffers, from another thread (with
            # lomond.aio, another task, already waiting on the transport).
            senders.append(driver.start_sender(websocket, b"x" * (64 * 1024 * 1024)))
            # Whether close() gets the lock before the flood or waits for
            # the flood to stall, it must return within the send timeout.
            began = time.time()
            websocket.close()
            outcome["close"] = time.time() - began

    with RawServer(never_read) as server:
        try:
            received = driver.run(driver.WebSocket(server.url()), handler, send_timeout=0.5, close_timeout=0.5)
        finally:
            release.set()
            for sender in senders:
                sender.join()
    assert isinstance(senders[0].error, (TransportFail, WebSocketUnavailable)), senders[0].error
    assert outcome["close"] < 0.5 * 4, outcome  # bounded, with room for a loaded machine
    assert names(received)[-1] == "disconnected"
    assert not received[-1].graceful


@pytest.mark.parametrize("size", [125, 126, 127, 65535, 65536])
def test_payload_length_boundaries(driver, size, echo_server):
    payload = bytes(bytearray(index % 256 for index in range(size)))
    _websocket, _events, echoed = exchange(driver, echo_server.url, [payload])
    assert echoed == [payload]

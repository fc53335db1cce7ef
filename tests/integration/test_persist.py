"""persist(): reconnecting against servers that come and go."""

import os
import socket
import threading
import time

from lomond import WebSocket
from lomond.frame import encode_frame
from lomond.opcode import Opcode
from lomond.persist import persist
from lomond.testing import WebSocketServer

from .helpers import Watchdog, socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade


def collect(events, stop):
    """Gather events until ``stop(collected)`` is true."""
    collected = []
    for event in events:
        collected.append(event)
        if stop(collected):
            break
    return collected


def count(collected, name):
    return len([event for event in collected if event.name == name])


def test_server_that_drops_every_connection():
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"hello and goodbye"))

    with RawServer(script) as server:
        websocket = WebSocket(server.url())
        with Watchdog(websocket):
            collected = collect(
                persist(websocket, min_wait=0.05, max_wait=0.2, ping_rate=0),
                lambda seen: count(seen, "ready") >= 3,
            )
    assert count(collected, "text") >= 2
    assert count(collected, "back_off") >= 2
    assert socket_closed(websocket)


def test_reconnects_after_an_outage():
    # A bound socket that isn't listening refuses connections.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    websocket = WebSocket("ws://127.0.0.1:{}/".format(port))
    serving = []

    def stop(seen):
        if count(seen, "connect_fail") == 5 and not serving:
            listener.listen(4)
            thread = threading.Thread(target=serve_one, args=(listener,), name="lomond-test-late")
            thread.start()
            serving.append(thread)
        return seen[-1].name == "ready"

    try:
        with Watchdog(websocket):
            collected = collect(persist(websocket, min_wait=0.02, max_wait=0.16, ping_rate=0), stop)
    finally:
        listener.close()
        for thread in serving:
            thread.join(TIMEOUT)
    delays = [event.delay for event in collected if event.name == "back_off"]
    assert len(delays) >= 5
    # Each delay is below its bound (0.02, 0.04, 0.08, 0.16, 0.16 ...), and
    # they are jittered rather than fixed.
    bounds = [min(0.16, 0.02 * 2 ** index) for index in range(len(delays))]
    assert all(delay <= bound for delay, bound in zip(delays, bounds))
    assert len(set(delays)) == len(delays)


def serve_one(listener):
    listener.settimeout(TIMEOUT)
    sock, _address = listener.accept()
    try:
        sock.settimeout(TIMEOUT)
        accept_upgrade(sock)
        sock.recv(1)
    except (OSError, socket.error):
        pass
    finally:
        sock.close()


def test_retry_after_on_503_is_respected_and_capped():
    def busy(conn):
        conn.reject(503, "Service Unavailable", headers=[("Retry-After", "0")])

    def very_busy(conn):
        conn.reject(503, "Service Unavailable", headers=[("Retry-After", "3600")])

    for handler, expected in ((busy, 0.0), (very_busy, 0.1)):
        with WebSocketServer(handler, handshake=False) as server:
            websocket = WebSocket(server.url)
            with Watchdog(websocket):
                collected = collect(
                    persist(websocket, min_wait=0.05, max_wait=0.1),
                    lambda seen: count(seen, "back_off") == 2,
                )
        assert [event.delay for event in collected if event.name == "back_off"] == [expected, expected]


def test_exit_event_during_back_off(free_port):
    exit_event = threading.Event()
    websocket = WebSocket("ws://127.0.0.1:{}/".format(free_port))
    events = persist(websocket, min_wait=30, max_wait=30, exit_event=exit_event)
    with Watchdog(websocket):
        collected = collect(events, lambda seen: seen[-1].name == "back_off")
        threading.Timer(0.1, exit_event.set).start()
        started = time.time()
        rest = list(events)
    assert time.time() - started < 1.0
    assert rest == []
    assert collected[-1].delay <= 30


def test_exit_event_during_a_live_connection(echo_server):
    exit_event = threading.Event()
    websocket = WebSocket(echo_server.url)
    collected = []
    with Watchdog(websocket):
        for event in persist(websocket, exit_event=exit_event, ping_rate=0):
            collected.append(event)
            if event.name == "ready":
                started = time.time()
                threading.Timer(0.1, exit_event.set).start()
    assert time.time() - started < 1.0
    assert [event.name for event in collected][-2:] == ["closed", "disconnected"]
    assert collected[-1].graceful
    assert socket_closed(websocket)


def test_no_cpu_spent_while_the_server_is_down(free_port):
    websocket = WebSocket("ws://127.0.0.1:{}/".format(free_port))
    exit_event = threading.Event()
    threading.Timer(1.5, exit_event.set).start()
    before = os.times()
    with Watchdog(websocket):
        collected = list(persist(websocket, min_wait=0.1, max_wait=0.4, exit_event=exit_event))
    after = os.times()
    cpu = (after[0] - before[0]) + (after[1] - before[1])
    assert count(collected, "connect_fail") >= 3
    assert cpu < 0.3

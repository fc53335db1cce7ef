"""persist(): reconnecting against servers that come and go."""

import email.utils
import os
import socket
import threading
import time

from lomond.frame import encode_frame
from lomond.opcode import Opcode
from lomond.testing import WebSocketServer, echo

from .helpers import socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade


def until(stop):
    """A handler that leaves the loop once ``stop(seen)`` is true for
    the events seen so far."""
    seen = []

    def handler(websocket, event):
        seen.append(event)
        return stop(seen)

    return handler


def count(collected, name):
    return len([event for event in collected if event.name == name])


def test_server_that_drops_every_connection(driver):
    def script(sock):
        accept_upgrade(sock)
        sock.sendall(encode_frame(Opcode.TEXT, b"hello and goodbye"))

    with RawServer(script) as server:
        websocket = driver.WebSocket(server.url())
        collected = driver.persist(
            websocket, until(lambda seen: count(seen, "ready") >= 3), min_wait=0.05, max_wait=0.2, ping_rate=0
        )
    assert count(collected, "text") >= 2
    assert count(collected, "back_off") >= 2
    assert socket_closed(websocket)


def test_reconnects_after_an_outage(driver):
    # A bound socket that isn't listening refuses connections.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    websocket = driver.WebSocket("ws://127.0.0.1:{}/".format(port))
    serving = []

    def stop(seen):
        if count(seen, "connect_fail") == 5 and not serving:
            listener.listen(4)
            thread = threading.Thread(target=serve_one, args=(listener,), name="lomond-test-late")
            thread.start()
            serving.append(thread)
        return seen[-1].name == "ready"

    try:
        collected = driver.persist(websocket, until(stop), min_wait=0.02, max_wait=0.16, ping_rate=0)
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


def busy(retry_after):
    """A handler refusing every upgrade with 503 and this Retry-After."""

    def handler(conn):
        conn.reject(503, "Service Unavailable", headers=[("Retry-After", retry_after)])

    return handler


def half():
    return 0.5


def test_retry_after_0_keeps_the_back_off(driver):
    exit_event = driver.exit_event()
    backs_off = []

    def handler(websocket, event):
        # Exit during the fifth back-off, not at a fixed time: a timer
        # may land inside an attempt, which then ends without its
        # rejection.
        if event.name == "back_off":
            backs_off.append(event)
            if len(backs_off) == 5:
                exit_event.set()

    with WebSocketServer(busy("0"), handshake=False) as server:
        websocket = driver.WebSocket(server.url)
        started = time.time()
        collected = driver.persist(
            websocket, handler, min_wait=0.05, max_wait=0.2, exit_event=exit_event, random_source=half
        )
        took = time.time() - started
    attempts = count(collected, "connecting")
    # A client that took "0" literally would not wait between attempts;
    # this one waits 0.025 + 0.05 + 0.1 + 0.1 s before the fifth.
    assert 2 <= attempts <= 8, attempts
    assert took >= 0.275, took
    assert count(collected, "rejected") == attempts
    delays = [event.delay for event in collected if event.name == "back_off"]
    assert delays == [0.025, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1][: len(delays)]


def test_retry_after_in_the_past_keeps_the_back_off(driver):
    yesterday = email.utils.formatdate(time.time() - 24 * 3600, usegmt=True)
    with WebSocketServer(busy(yesterday), handshake=False) as server:
        websocket = driver.WebSocket(server.url)
        collected = driver.persist(
            websocket, until(lambda seen: count(seen, "back_off") == 4), min_wait=0.02, max_wait=0.08, random_source=half
        )
    assert [event.delay for event in collected if event.name == "back_off"] == [0.01, 0.02, 0.04, 0.04]


def test_retry_after_in_the_future_is_a_floor_up_to_max_retry_after(driver):
    with WebSocketServer(busy("3600"), handshake=False) as server:
        websocket = driver.WebSocket(server.url)
        started = time.time()
        collected = driver.persist(
            websocket,
            until(lambda seen: count(seen, "connecting") == 3),
            min_wait=0.01,
            max_wait=0.02,
            max_retry_after=0.15,
        )
    assert [event.delay for event in collected if event.name == "back_off"] == [0.15, 0.15]
    assert time.time() - started >= 0.3


def test_give_up_on_a_rejection_that_will_not_heal(driver):
    def fatal(event):
        return event.name == "rejected" and event.response.status_code in (401, 403, 404)

    with WebSocketServer(lambda conn: conn.reject(404, "Not Found"), handshake=False) as server:
        websocket = driver.WebSocket(server.url)
        collected = driver.persist(websocket, give_up=fatal, min_wait=0.01, max_wait=0.02)
    assert [event.name for event in collected] == ["connecting", "connected", "rejected", "disconnected", "give_up"]
    assert collected[-1].event is collected[2]


def test_give_up_on_a_certificate_that_fails_verification(driver, server_ssl_context):
    def untrusted(event):
        return event.name == "connect_fail" and "certificate verify failed" in event.reason

    with WebSocketServer(echo, ssl_context=server_ssl_context) as server:
        websocket = driver.WebSocket(server.url)  # the test CA is not trusted
        collected = driver.persist(websocket, give_up=untrusted, min_wait=0.01, max_wait=0.02)
    assert [event.name for event in collected] == ["connecting", "connect_fail", "give_up"]
    assert "TLS certificate verify failed" in collected[-1].event.reason


def test_give_up_after_max_failures(driver, free_port):
    websocket = driver.WebSocket("ws://127.0.0.1:{}/".format(free_port))
    collected = driver.persist(websocket, max_failures=3, min_wait=0.01, max_wait=0.02)
    assert count(collected, "connect_fail") == 3
    assert count(collected, "back_off") == 2
    assert collected[-1].name == "give_up"
    assert collected[-1].failures == 3
    assert collected[-1].reason.startswith("3 connection attempts failed in a row; the last: unable to connect")


def test_exit_event_during_back_off(driver, free_port):
    exit_event = driver.exit_event()
    websocket = driver.WebSocket("ws://127.0.0.1:{}/".format(free_port))
    timers = []

    def handler(ws, event):
        if event.name == "back_off" and not timers:
            timers.append((threading.Timer(0.1, exit_event.set), time.time()))
            timers[0][0].start()

    collected = driver.persist(
        websocket, handler, min_wait=30, max_wait=30, exit_event=exit_event, random_source=lambda: 0.9
    )
    timer, started = timers[0]
    timer.join(TIMEOUT)
    assert time.time() - started < 1.0
    assert collected[-1].name == "back_off"  # no GiveUp after it: it was asked to stop
    assert collected[-1].delay == 27


def test_exit_event_during_a_live_connection(driver, echo_server):
    exit_event = driver.exit_event()
    websocket = driver.WebSocket(echo_server.url)
    timers = []

    def handler(ws, event):
        if event.name == "ready":
            timers.append((threading.Timer(0.1, exit_event.set), time.time()))
            timers[0][0].start()

    collected = driver.persist(websocket, handler, exit_event=exit_event, ping_rate=0)
    timer, started = timers[0]
    timer.join(TIMEOUT)
    assert time.time() - started < 1.0
    assert [event.name for event in collected][-2:] == ["closed", "disconnected"]
    assert collected[-1].graceful
    assert socket_closed(websocket)


def test_no_cpu_spent_while_the_server_is_down(driver, free_port):
    websocket = driver.WebSocket("ws://127.0.0.1:{}/".format(free_port))
    exit_event = driver.exit_event()
    timer = threading.Timer(1.5, exit_event.set)
    timer.start()
    before = os.times()
    collected = driver.persist(websocket, min_wait=0.1, max_wait=0.4, exit_event=exit_event)
    after = os.times()
    timer.join(TIMEOUT)
    cpu = (after[0] - before[0]) + (after[1] - before[1])
    assert count(collected, "connect_fail") >= 3
    assert cpu < 0.3

"""Large messages arrive intact (and within the default limit)."""

import hashlib

from lomond.constants import DEFAULT_MAX_SIZE
from lomond.testing import WebSocketServer

from .drivers import exchange


def pattern(size):
    block = bytes(bytearray(range(256))) * 4096
    return (block * (size // len(block) + 1))[:size]


def test_64_mib_message_received_intact(driver):
    payload = pattern(DEFAULT_MAX_SIZE)
    digest = hashlib.sha256(payload).hexdigest()

    def handler(conn):
        conn.send_binary(payload)
        conn.recv()

    with WebSocketServer(handler) as server:
        sizes = []

        def on_event(websocket, event):
            if event.name == "binary":
                sizes.append(len(event.data))
                assert hashlib.sha256(event.data).hexdigest() == digest
                websocket.close()

        events = driver.run(driver.WebSocket(server.url), on_event)
    assert sizes == [DEFAULT_MAX_SIZE]
    assert events[-1].graceful


def test_large_message_sent_and_echoed(driver, echo_server):
    payload = pattern(5 * 1024 * 1024 + 3)
    _websocket, _events, echoed = exchange(driver, echo_server.url, [payload])
    assert echoed == [payload]

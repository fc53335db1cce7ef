"""The ways the documentation recommends to leave a connection really send
a close frame (docs/closing.rst, "Leaving the loop cleanly")."""

import threading

from lomond import WebSocket
from lomond.persist import persist
from lomond.testing import WebSocketServer

from .helpers import Watchdog, names


class Recorder(object):
    """A server handler that echoes and records what the client sent,
    up to and including its close frame."""

    def __init__(self):
        self.seen = []
        self.done = threading.Event()

    def __call__(self, conn):
        try:
            while True:
                event = conn.recv()
                self.seen.append(event)
                if event.name == "closing":
                    return
                conn.send_text(event.text)
        finally:
            self.done.set()

    def close_frame(self):
        assert self.done.wait(10), "the handler did not finish"
        closes = [(event.code, event.reason) for event in self.seen if event.name == "closing"]
        return closes[0] if closes else None


def test_close_then_keep_iterating_sends_a_close_frame():
    recorder = Recorder()
    with WebSocketServer(recorder) as server:
        websocket = WebSocket(server.url)
        received = []
        collected = []
        with Watchdog(websocket):
            for event in websocket.connect(ping_rate=0):
                collected.append(event)
                if event.name == "ready":
                    for number in range(10):
                        websocket.send_text(u"message {}".format(number))
                elif event.name == "text" and len(received) < 3:
                    received.append(event.text)
                    if len(received) == 3:
                        websocket.close()
        assert recorder.close_frame() == (1000, u"goodbye")
    assert received == [u"message 0", u"message 1", u"message 2"]
    assert names(collected)[-2:] == ["closed", "disconnected"]
    assert collected[-1].graceful


def test_persist_exit_event_sends_a_close_frame():
    recorder = Recorder()
    exit_event = threading.Event()
    with WebSocketServer(recorder) as server:
        websocket = WebSocket(server.url)
        collected = []
        with Watchdog(websocket):
            for event in persist(websocket, exit_event=exit_event, ping_rate=0):
                collected.append(event)
                if event.name == "ready":
                    websocket.send_text(u"done")
                elif event.name == "text":
                    exit_event.set()
        assert recorder.close_frame()[0] == 1001
    assert names(collected)[-2:] == ["closed", "disconnected"]
    assert collected[-1].graceful

"""Sending from several threads while one thread runs the event loop."""

import threading

from lomond import WebSocket

from .helpers import run

THREADS = 4
PER_THREAD = 2500


def test_four_threads_send_while_the_loop_receives(echo_server):
    websocket = WebSocket(echo_server.url, compress=True)
    received = []
    errors = []

    def sender(number):
        try:
            for index in range(PER_THREAD):
                if index % 2:
                    websocket.send_text(u"thread {} message {}".format(number, index))
                else:
                    websocket.send_binary(u"thread {} message {}".format(number, index).encode("ascii"))
        except Exception as error:
            errors.append(error)

    threads = [
        threading.Thread(target=sender, args=(number,), name="lomond-test-sender-{}".format(number))
        for number in range(THREADS)
    ]

    def handler(ws, event):
        if event.name == "ready":
            for thread in threads:
                thread.start()
        elif event.name in ("text", "binary"):
            received.append(event.text if event.name == "text" else event.data.decode("ascii"))
            if len(received) == THREADS * PER_THREAD:
                ws.close()

    try:
        events = run(websocket, handler)
    finally:
        for thread in threads:
            if thread.is_alive() or thread.ident:
                thread.join()
    assert not errors
    assert events[-1].graceful
    assert len(received) == THREADS * PER_THREAD
    # Intact, and in order per thread (frames never interleave).
    for number in range(THREADS):
        mine = [text for text in received if text.startswith("thread {} ".format(number))]
        assert mine == ["thread {} message {}".format(number, index) for index in range(PER_THREAD)]

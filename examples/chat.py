"""A chat client: type lines to send them, while a thread prints what arrives.

    python -m lomond.examples.chat [URL]

The event loop runs in a second thread; the main thread reads the terminal
and calls ``send_text``, which is safe from any thread. Both threads write
to the terminal, so they take turns with a lock (``sys.stdout`` is not
thread-safe). Without a URL it talks to an echo server started in this
process, so it works offline. An empty line, Ctrl-D or Ctrl-C ends the chat.
"""

from __future__ import print_function

import sys
import threading

from lomond import WebSocket
from lomond.errors import WebSocketUnavailable
from lomond.testing import WebSocketServer, echo

try:
    _raw_input = raw_input  # Python 2.7: returns bytes

    def _input():
        return _raw_input().decode(sys.stdin.encoding or "utf-8")


except NameError:
    _input = input

_output_lock = threading.Lock()


def say(*parts):
    """Print a line; safe from either thread."""
    with _output_lock:
        print(*parts)
        sys.stdout.flush()


def read_line(prompt):
    with _output_lock:
        sys.stdout.write(prompt)
        sys.stdout.flush()
    return _input()


def run_events(websocket, ready):
    """The event loop, in its own thread."""
    for event in websocket.connect(ping_rate=20):
        if event.name == "ready":
            ready.set()
        elif event.name == "text":
            say("\r<", event.text)
        elif event.name in ("connect_fail", "rejected", "disconnected", "closing"):
            say("\r*", event)
    ready.set()  # let the main thread stop waiting if we never got ready


def chat(url):
    websocket = WebSocket(url)
    ready = threading.Event()
    loop = threading.Thread(target=run_events, args=(websocket, ready), name="chat-events")
    loop.start()
    ready.wait()
    try:
        while loop.is_alive():
            line = read_line("> ")
            if not line:
                break
            try:
                websocket.send_text(line)
            except WebSocketUnavailable as error:
                say("* not sent:", error)
                break
    except (EOFError, KeyboardInterrupt):
        say()
    finally:
        websocket.close()
        loop.join()


def main(url=None):
    if url is not None:
        chat(url)
        return
    with WebSocketServer(echo) as server:
        say("(no URL given: chatting with a local echo server at {})".format(server.url))
        chat(server.url)


if __name__ == "__main__":
    main(*sys.argv[1:2])

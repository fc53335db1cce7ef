"""A chat client: type lines to send them, while a thread prints what arrives.

    python -m lomond.examples.chat [URL]

The event loop runs in a second thread; the main thread reads the terminal
and calls ``send_text``, which is safe from any thread. Both threads write
to the terminal, so they take turns with a lock (``sys.stdout`` is not
thread-safe). Without a URL it talks to an echo server started in this
process, so it works offline. An empty line, Ctrl-D or Ctrl-C ends the chat.

Output is UTF-8 whatever standard output's encoding: on Python 2.7 a pipe
has none, and ``print`` would fail on the first non-ASCII message. The exit
status is 1 if the event loop failed.
"""

import sys
import threading
import traceback

from lomond import WebSocket
from lomond.errors import WebSocketUnavailable
from lomond.testing import WebSocketServer, echo

try:  # the names in the type comments (Python 2.7 has no typing module)
    from typing import List, Optional
except ImportError:
    pass

if sys.version_info[0] < 3:
    _text = unicode  # noqa: F821

    def _input():
        # type: () -> str
        return raw_input().decode(sys.stdin.encoding or "utf-8")  # noqa: F821 (it returns bytes)


else:
    _text = str
    _input = input

_output_lock = threading.Lock()


def _write(text):
    # type: (str) -> None
    # Bytes go out as they are: Python 3's text stdout has a byte stream
    # underneath (.buffer); Python 2.7's stdout takes bytes already.
    if sys.version_info[0] < 3:
        stdout = sys.stdout
    else:
        stdout = sys.stdout.buffer
    with _output_lock:
        stdout.write(text.encode("utf-8"))
        stdout.flush()


def say(*parts):
    # type: (*object) -> None
    """Print a line, as UTF-8; safe from either thread."""
    _write(u" ".join(_text(part) for part in parts) + u"\n")


def read_line(prompt):
    # type: (str) -> str
    _write(prompt)
    return _input()


def run_events(websocket, ready, failures):
    # type: (WebSocket, threading.Event, List[BaseException]) -> None
    """The event loop, in its own thread; an exception goes in ``failures``."""
    try:
        for event in websocket.connect(ping_rate=20):
            if event.name == "ready":
                ready.set()
            elif event.name == "text":
                say(u"\r<", event.text)
            elif event.name in ("connect_fail", "rejected", "disconnected", "closing"):
                say(u"\r*", event)
    except Exception as error:
        failures.append(error)
        traceback.print_exc()
    finally:
        ready.set()  # let the main thread stop waiting if we never got ready


def chat(url):
    # type: (str) -> int
    """Chat until the user or the server ends it; return the exit status."""
    websocket = WebSocket(url)
    ready = threading.Event()
    failures = []  # type: List[BaseException]
    loop = threading.Thread(target=run_events, args=(websocket, ready, failures), name="chat-events")
    loop.start()
    ready.wait()
    try:
        while loop.is_alive():
            line = read_line(u"> ")
            if not line:
                break
            try:
                websocket.send_text(line)
            except WebSocketUnavailable as error:
                say(u"* not sent:", error)
                break
    except (EOFError, KeyboardInterrupt):
        say()
    finally:
        websocket.close()
        loop.join()
    return 1 if failures else 0


def main(url=None):
    # type: (Optional[str]) -> int
    if url is not None:
        return chat(url)
    with WebSocketServer(echo) as server:
        say(u"(no URL given: chatting with a local echo server at {})".format(server.url))
        return chat(server.url)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))

"""Offline demo: talk to an echo server that runs inside this process.

    python -m lomond.examples.echo

Starts Lomond's loopback test server, connects to it, sends a few messages
(one of them compressed), prints every event, then closes.
"""

from __future__ import print_function

from lomond import WebSocket
from lomond.testing import WebSocketServer, echo


def main():
    with WebSocketServer(echo) as server:
        websocket = WebSocket(server.url, compress=True)
        messages = [u"Hello, World!", u"Lomond is a loch in Scotland.", b"\x00\x01\x02 binary"]
        for event in websocket.connect(ping_rate=0):
            print(event)
            if event.name == "ready":
                print("  compression in use:", websocket.supports_compression)
                websocket.send_text(messages.pop(0))
            elif event.name in ("text", "binary"):
                if messages:
                    message = messages.pop(0)
                    if isinstance(message, bytes):
                        websocket.send_binary(message)
                    else:
                        websocket.send_text(message)
                else:
                    websocket.close()


if __name__ == "__main__":
    main()

"""Offline demo: talk to an echo server that runs inside this process.

    python -m lomond.examples.echo

Starts Lomond's loopback test server, connects to it, sends a few messages
(one of them compressed), prints every event, then closes.
"""

from __future__ import print_function

from lomond import WebSocket
from lomond.testing import WebSocketServer, echo


def main():
    # type: () -> None
    with WebSocketServer(echo) as server:
        websocket = WebSocket(server.url, compress=True)
        texts = [u"Hello, World!", u"Lomond is a loch in Scotland."]
        sent_binary = False
        for event in websocket.connect(ping_rate=0):
            print(event)
            if event.name == "ready":
                print("  compression in use:", websocket.supports_compression)
                websocket.send_text(texts.pop(0))
            elif event.name in ("text", "binary"):
                if texts:
                    websocket.send_text(texts.pop(0))
                elif not sent_binary:
                    websocket.send_binary(b"\x00\x01\x02 binary")
                    sent_binary = True
                else:
                    websocket.close()


if __name__ == "__main__":
    main()

"""A live Bitcoin price ticker from a public exchange feed (needs the internet).

    python -m lomond.examples.btcticker [URL]

Subscribes to the BTC-USD ticker of Coinbase Exchange's public WebSocket feed
when the connection is ready, prints one line per trade, and reconnects with
back-off (``persist``) whenever the connection drops. Ctrl-C to stop.
"""

from __future__ import print_function

import sys

from lomond import WebSocket
from lomond.persist import persist

FEED = "wss://ws-feed.exchange.coinbase.com"


def format_ticker(message):
    """One line for a ticker message from the feed."""
    return "{time}  {product}  {price:>12}  {side:<4}  {size}".format(
        time=message.get("time", "")[:19],
        product=message.get("product_id", "BTC-USD"),
        price=message.get("price", "?"),
        side=message.get("side", ""),
        size=message.get("last_size", ""),
    )


def run(url=FEED, exit_event=None, output=print):
    """Print the ticker until ``exit_event`` is set (or forever)."""
    websocket = WebSocket(url, compress=True)
    for event in persist(websocket, ping_rate=20, ping_timeout=40, exit_event=exit_event):
        if event.name == "ready":
            output("connected; subscribing to BTC-USD")
            websocket.send_json(type="subscribe", product_ids=["BTC-USD"], channels=["ticker"])
        elif event.name == "text":
            message = event.json
            if message.get("type") == "ticker":
                output(format_ticker(message))
            elif message.get("type") == "error":
                output("feed error: {} {}".format(message.get("message"), message.get("reason", "")))
        elif event.name in ("connect_fail", "disconnected", "back_off", "rejected"):
            output(repr(event))


def main(url=FEED):
    try:
        run(url)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(*sys.argv[1:2])

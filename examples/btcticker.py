"""A live Bitcoin price ticker from a public exchange feed (needs the internet).

    python -m lomond.examples.btcticker [URL] [--max-failures N]

Subscribes to the BTC-USD ticker of Coinbase Exchange's public WebSocket feed
when the connection is ready, prints one line per trade, and reconnects with
back-off (``persist``) whenever the connection drops. Ctrl-C to stop.

If the feed can't be reached for a while (``--max-failures`` connection
attempts in a row fail, 10 by default: a few minutes with the default
back-off), it says why on standard error and exits with status 1, rather
than retrying silently for ever on a machine that is offline. ``URL``
points it at another feed (or, to see it give up, at one that isn't there).
"""

from __future__ import print_function

import argparse
import sys

from lomond import WebSocket
from lomond.events import GiveUp
from lomond.persist import persist

try:  # the names in the type comments (Python 2.7 has no typing module)
    from typing import Any, Callable, Dict, List, Optional
    from threading import Event
except ImportError:
    pass

FEED = "wss://ws-feed.exchange.coinbase.com"

#: Failed connection attempts in a row before giving up.
MAX_FAILURES = 10


def format_ticker(message):
    # type: (Dict[str, Any]) -> str
    """One line for a ticker message from the feed."""
    return "{time}  {product}  {price:>12}  {side:<4}  {size}".format(
        time=message.get("time", "")[:19],
        product=message.get("product_id", "BTC-USD"),
        price=message.get("price", "?"),
        side=message.get("side", ""),
        size=message.get("last_size", ""),
    )


def run(url=FEED, exit_event=None, output=print, max_failures=MAX_FAILURES, **persist_options):
    # type: (str, Optional[Event], Callable[[str], object], int, **Any) -> Optional[GiveUp]
    """Print the ticker until ``exit_event`` is set, or until it gives up.

    :returns: The :class:`~lomond.events.GiveUp` event if the feed could not
        be reached ``max_failures`` times in a row, else None.
    """
    websocket = WebSocket(url, compress=True)
    events = persist(
        websocket,
        ping_rate=20,
        ping_timeout=40,
        exit_event=exit_event,
        max_failures=max_failures,
        **persist_options
    )
    for event in events:
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
        elif event.name == "give_up":
            return event
    return None


def main(argv=None):
    # type: (Optional[List[str]]) -> int
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=FEED, help="the feed (default: %(default)s)")
    parser.add_argument(
        "--max-failures", type=int, default=MAX_FAILURES, metavar="N",
        help="give up after N failed connection attempts in a row (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.max_failures < 1:
        parser.error("--max-failures must be 1 or more")
    try:
        gave_up = run(args.url, max_failures=args.max_failures)
    except KeyboardInterrupt:
        return 0
    if gave_up is not None:
        sys.stderr.write("btcticker: can't reach {}: {}\n".format(args.url, gave_up.reason))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

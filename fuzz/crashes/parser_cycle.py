"""Reproducer (found by benchmarks/soak.py): a Parser and its parse()
generator refer to each other, so a parser that is dropped is freed only by
the cyclic garbage collector, with its receive buffer (64 KiB at 0f1b307,
256 KiB since 426f7a4), its kept large-read buffer (up to 16 MiB since
828b925) and any partial large read (up to max_size).

    python3 fuzz/crashes/parser_cycle.py

A client that reconnects often keeps dozens of dead parsers between
collections: with no connection open, the soak found up to 17 MiB of
them at 0f1b307 and up to 44 MiB at c5b2eb0 (VmRSS 50-84 MiB against
29 MiB after gc.collect()). With gc disabled they are never freed.
"""

import gc
import os
import struct
import sys
import weakref

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lomond.frame_parser import FrameParser  # noqa: E402
from lomond.handshake import Handshake, accept_key, make_key  # noqa: E402
from lomond.session import WebsocketSession  # noqa: E402

gc.disable()

parser = FrameParser()
parser.feed(b"\x82\x7f" + struct.pack("!Q", 10 * 1024 * 1024) + b"partial")  # a 10 MiB read begins
ref = weakref.ref(parser)
del parser
print("FrameParser freed when dropped: {}".format(ref() is None))

# The same through a session: the connection ends in the middle of the frame.
KEY = make_key(b"k" * 16)
session = WebsocketSession(Handshake("h", 80, "/", key=KEY), lambda n: b"\0" * n)
session.start(0.0)
session.data_to_send()
session.feed(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: {}\r\n\r\n".format(accept_key(KEY)).encode("ascii")
)
session.feed(b"\x82\x7f" + struct.pack("!Q", 10 * 1024 * 1024) + b"partial")
frame_parser = weakref.ref(session._parser)
print("events at EOF: {!r}".format(session.feed(b"")))
print("the finished session's parser (and its 10 MiB buffer) still alive: {}".format(frame_parser() is not None))
gc.collect()
print("after gc.collect(): {}".format(frame_parser() is not None))

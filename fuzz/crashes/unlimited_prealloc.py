"""Reproducer: with max_size=None, a frame header alone makes the client
allocate (and zero) the whole length it declares, before any payload.

    python3 fuzz/crashes/unlimited_prealloc.py

Eleven bytes from the server cost 1 GiB of client memory here; a length
beyond what malloc can give becomes ProtocolError(error='') (a MemoryError
with an empty message, answered with close code 1002).
"""

import os
import resource
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lomond.handshake import Handshake, accept_key, make_key  # noqa: E402
from lomond.session import WebsocketSession  # noqa: E402

KEY = make_key(b"k" * 16)
RESPONSE = (
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n".format(accept_key(KEY))
).encode("ascii")


def attempt(length):
    session = WebsocketSession(Handshake("h", 80, "/", key=KEY), lambda n: b"\0" * n, max_size=None)
    session.start(0.0)
    session.data_to_send()
    session.feed(RESPONSE)
    header = b"\x82\x7f" + struct.pack("!Q", length)  # binary, 64-bit length
    events = session.feed(header + b"x")  # 11 bytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print("declared {:>20,} bytes -> events {!r}, peak RSS {:,} MiB".format(length, events, peak))


attempt(1 << 30)
attempt(1 << 62)

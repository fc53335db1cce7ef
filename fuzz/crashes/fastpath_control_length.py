"""Reproducer: FrameParser's fast path (commit 0f1b307) accepts a control
frame whose 7-bit length is 126 (a 16-bit length follows); parse(), which
the fast path says has the last word on every rule, rejects it. So the
outcome depends on how the bytes arrive:

    python3 fuzz/crashes/fastpath_control_length.py

prints a PING frame for the whole buffer, and CriticalProtocolError
('control frame over 125 bytes') when the same 7 bytes come one at a time.
Through a session: Ping event and an automatic pong, or a ProtocolError
and close 1002, depending on TCP segmentation.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lomond.frame_parser import FrameParser  # noqa: E402

# FIN + PING, length 126, then a 16-bit length of 3, then 3 bytes.
DATA = b"\x89\x7e\x00\x03abc"

whole = FrameParser()
print("whole:    {!r} error={!r}".format(whole.feed(DATA), whole.error))

bytewise = FrameParser()
frames = []
for index in range(len(DATA)):
    if bytewise.is_finished:
        break
    frames.extend(bytewise.feed(DATA[index : index + 1]))
print("bytewise: {!r} error={!r}".format(frames, bytewise.error))

"""Bytes to frames: the frame parser (RFC 6455 section 5.2).

Every rule that can be checked from the header is checked before the
payload is read, so a hostile length never makes Lomond allocate or wait for
data it is going to refuse.
"""

import struct

from .errors import CriticalProtocolError
from .frame import Frame
from .mask import mask
from .opcode import Opcode, reserved_opcodes
from .parser import Parser
from .status import Status

_unpack_small = struct.Struct("!BB").unpack
_unpack_medium = struct.Struct("!H").unpack
_unpack_large = struct.Struct("!Q").unpack

_DATA_OPCODES = (Opcode.TEXT, Opcode.BINARY)


def header_error(first, second, allow_rsv1=False, expect_mask=0):
    """Say which rule the first two bytes of a frame header break, if any.

    The one home of the header rules: :meth:`FrameParser.parse` raises
    with the message, and the fast path's table is built from it.

    :param int first: The first header byte (FIN, RSV1-3, opcode).
    :param int second: The second header byte (MASK, 7-bit length).
    :param bool allow_rsv1: True when compression was negotiated.
    :param int expect_mask: 0x80 if frames must be masked, else 0.
    :returns: What is wrong (close code 1002), or None.
    :rtype: str
    """
    opcode = first & 0x0F
    if first & 0x30:
        # RFC 6455 5.2: RSV2 and RSV3 are zero unless an extension
        # defines them, and none that Lomond negotiates does.
        return "RSV2 or RSV3 set without an extension"
    if first & 0x40 and not (allow_rsv1 and opcode in _DATA_OPCODES):
        # RFC 7692 6: only the first frame of a compressed message has
        # RSV1: never a continuation or control frame, and never without
        # the extension.
        return "RSV1 set on a {} frame{}".format(
            Opcode.to_str(opcode).lower(), "" if allow_rsv1 else " without compression"
        )
    if opcode in reserved_opcodes:
        return "reserved opcode {}".format(opcode)
    if second & 0x80 != expect_mask:
        # RFC 6455 5.1: a client closes the connection on a masked frame
        # from the server (and a server on an unmasked one).
        return "unmasked frame from the client" if expect_mask else "masked frame from the server"
    if opcode >= Opcode.CLOSE:
        # RFC 6455 5.5: control frames are never fragmented and carry at
        # most 125 bytes.
        if not first & 0x80:
            return "fragmented control frame"
        if second & 0x7F > 125:
            return "control frame over 125 bytes"
    return None


def length_error(length, max_size):
    """Say why a frame's payload length is refused, if it is.

    :returns: What is wrong (close code 1009), or None.
    :rtype: str
    """
    if max_size is not None and length > max_size:
        return "frame of {} bytes is over the limit of {} bytes".format(length, max_size)
    return None


_fast_tables = {}


def fast_path_table(allow_rsv1, max_size):
    """For each first header byte, how many second bytes the fast path takes.

    The fast path decodes an unmasked frame whose second byte is below
    ``table[first]``: the second bytes that pass :func:`header_error` and
    :func:`length_error` from 0 up, stopping before 127 (a 64-bit length,
    left to parse()). 126, a 16-bit length, is included when the rules
    allow it; the fast path then checks that length against ``max_size``.

    :param bool allow_rsv1: True when compression was negotiated.
    :param int max_size: The frame parser's limit, or None.
    :rtype: tuple
    """
    # Above 125 bytes, max_size no longer changes the table.
    key = (bool(allow_rsv1), None if max_size is None else min(max_size, 126))
    table = _fast_tables.get(key)
    if table is None:
        limits = []
        for first in range(256):
            second = 0
            while second < 127 and header_error(first, second, allow_rsv1) is None:
                if second < 126 and length_error(second, max_size) is not None:
                    break
                second += 1
            limits.append(second)
        table = _fast_tables[key] = tuple(limits)
    return table


class FrameParser(Parser):
    """Parse a stream of frames.

    :param int max_size: The largest payload accepted, or None.
    :param bool rsv1: True when an extension that uses RSV1 (compression)
        was negotiated.
    :param bool server_role: True to parse the frames a *client* sends
        (which must be masked); False, the default, for server frames
        (which must not be).
    :param bytearray scratch: A receive buffer shared by the parsers of
        one thread (see :meth:`~lomond.parser.Parser.get_buffer`), or None
        for a buffer of its own.

    ``feed()`` returns :class:`~lomond.frame.Frame` objects; a frame that
    breaks a rule raises :class:`~lomond.errors.CriticalProtocolError` with
    the close code to send.
    """

    __slots__ = ["max_size", "rsv1", "server_role", "pause_at_boundary", "_fast_table", "_fast_medium"]

    def __init__(self, max_size=None, rsv1=False, server_role=False, scratch=None):
        self.max_size = max_size
        self.rsv1 = rsv1
        self.server_role = server_role
        # The fast path below reads unmasked (server) frames only.
        self.pause_at_boundary = not server_role
        if not server_role:
            self._fast_table = fast_path_table(rsv1, max_size)
            # The largest 16-bit length the fast path takes (length_error's
            # rule, applied to the one length form the table can't see).
            self._fast_medium = 0xFFFF if max_size is None else max_size
        super(FrameParser, self).__init__(scratch)

    def _run(self, results):
        # While the generator waits for a frame header, decode whole frames
        # straight from the buffer (the common case, many per read). Anything
        # incomplete or unusual is left to parse(), which has the last word
        # on every rule; it hands back at the next frame boundary.
        if not self.pause_at_boundary:  # the server role: masked frames
            Parser._run(self, results)
            return
        while True:
            if self._request == 2 and self.at_boundary:
                self._decode_whole_frames(results)
            count = len(results)
            start = self._start
            Parser._run(self, results)
            if len(results) == count and self._start == start:
                return  # no progress: more bytes are needed

    def _decode_whole_frames(self, results):
        buf = self._buf
        view = self._view
        start = self._start
        end = self._end
        table = self._fast_table
        max_medium = self._fast_medium
        append = results.append
        while end - start >= 2:
            first = buf[start]
            length = buf[start + 1]
            # Every header rule, from one lookup: whatever the table
            # doesn't take is parse()'s, which says what is wrong.
            if length >= table[first]:
                break
            if length == 126:
                if end - start < 4:
                    break
                length = (buf[start + 2] << 8) | buf[start + 3]
                if length > max_medium:
                    break
                header = 4
            else:
                header = 2
            stop = start + header + length
            if stop > end:
                break
            append(Frame(first & 0x0F, view[start + header : stop].tobytes(), first & 0x80 == 0x80, first & 0x40 == 0x40))
            start = stop
        self._start = self._scan = start

    def parse(self):
        max_size = self.max_size
        allow_rsv1 = self.rsv1
        expect_mask = 0x80 if self.server_role else 0
        while True:
            self.at_boundary = True
            first, second = _unpack_small((yield 2))
            self.at_boundary = False
            error = header_error(first, second, allow_rsv1, expect_mask)
            if error is not None:
                raise CriticalProtocolError(error)

            length = second & 0x7F
            if length == 126:
                (length,) = _unpack_medium((yield 2))
            elif length == 127:
                (length,) = _unpack_large((yield 8))
                if length >> 63:
                    # RFC 6455 5.2: the most significant bit must be 0.
                    raise CriticalProtocolError("frame length over 2**63")
                length = int(length)
            error = length_error(length, max_size)
            if error is not None:
                raise CriticalProtocolError(error, Status.MESSAGE_TOO_LARGE)

            if expect_mask:
                mask_key = yield 4
                payload = mask(mask_key, (yield length)) if length else b""
            else:
                payload = (yield length) if length else b""
            yield Frame(first & 0x0F, payload, first & 0x80 == 0x80, first & 0x40 == 0x40)

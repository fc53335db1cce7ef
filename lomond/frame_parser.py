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


class FrameParser(Parser):
    """Parse a stream of frames.

    :param int max_size: The largest payload accepted, or None.
    :param bool rsv1: True when an extension that uses RSV1 (compression)
        was negotiated.
    :param bool server_role: True to parse the frames a *client* sends
        (which must be masked); False, the default, for server frames
        (which must not be).

    ``feed()`` returns :class:`~lomond.frame.Frame` objects; a frame that
    breaks a rule raises :class:`~lomond.errors.CriticalProtocolError` with
    the close code to send.
    """

    def __init__(self, max_size=None, rsv1=False, server_role=False):
        self.max_size = max_size
        self.rsv1 = rsv1
        self.server_role = server_role
        # The fast path below reads unmasked (server) frames only.
        self.pause_at_boundary = not server_role
        super(FrameParser, self).__init__()

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
        max_size = self.max_size
        allow_rsv1 = self.rsv1
        append = results.append
        while end - start >= 2:
            first = buf[start]
            length = buf[start + 1]
            # RSV2/RSV3, a mask bit (length >= 128) or a 64-bit length: slow.
            if first & 0x30 or length > 126:
                break
            opcode = first & 0x0F
            # Reserved opcodes (3-7, 11-15), and control frames that are
            # fragmented or use more than the 7-bit length (RFC 6455 5.5):
            # all for parse().
            if opcode > 2 and (opcode < 8 or opcode > 10 or not first & 0x80 or length > 125):
                break
            if length == 126:
                if end - start < 4:
                    break
                length = (buf[start + 2] << 8) | buf[start + 3]
                header = 4
            else:
                header = 2
            if first & 0x40 and not (allow_rsv1 and 0 < opcode < 3):
                break
            if max_size is not None and length > max_size:
                break
            stop = start + header + length
            if stop > end:
                break
            append(Frame(opcode, view[start + header : stop].tobytes(), first & 0x80 == 0x80, first & 0x40 == 0x40))
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
            fin = first & 0x80 == 0x80
            rsv1 = first & 0x40 == 0x40
            opcode = first & 0x0F
            length = second & 0x7F

            if first & 0x30:
                # RFC 6455 5.2: RSV2 and RSV3 are zero unless an extension
                # defines them, and none that Lomond negotiates does.
                raise CriticalProtocolError("RSV2 or RSV3 set without an extension")
            if rsv1 and not (allow_rsv1 and opcode in _DATA_OPCODES):
                # RFC 7692 6: only the first frame of a compressed message
                # has RSV1: never a continuation or control frame, and
                # never without the extension.
                raise CriticalProtocolError(
                    "RSV1 set on a {} frame{}".format(
                        Opcode.to_str(opcode).lower(),
                        "" if allow_rsv1 else " without compression",
                    )
                )
            if opcode in reserved_opcodes:
                raise CriticalProtocolError("reserved opcode {}".format(opcode))
            if second & 0x80 != expect_mask:
                # RFC 6455 5.1: a client closes the connection on a masked
                # frame from the server (and a server on an unmasked one).
                raise CriticalProtocolError(
                    "masked frame from the server"
                    if not expect_mask
                    else "unmasked frame from the client"
                )
            if opcode >= Opcode.CLOSE:
                # RFC 6455 5.5: control frames are never fragmented and
                # carry at most 125 bytes.
                if not fin:
                    raise CriticalProtocolError("fragmented control frame")
                if length > 125:
                    raise CriticalProtocolError("control frame over 125 bytes")

            if length == 126:
                (length,) = _unpack_medium((yield 2))
            elif length == 127:
                (length,) = _unpack_large((yield 8))
                if length >> 63:
                    # RFC 6455 5.2: the most significant bit must be 0.
                    raise CriticalProtocolError("frame length over 2**63")
                length = int(length)
            if max_size is not None and length > max_size:
                raise CriticalProtocolError(
                    "frame of {} bytes is over the limit of {} bytes".format(
                        length, max_size
                    ),
                    Status.MESSAGE_TOO_LARGE,
                )

            if expect_mask:
                mask_key = yield 4
                payload = mask(mask_key, (yield length)) if length else b""
            else:
                payload = (yield length) if length else b""
            yield Frame(opcode, payload, fin, rsv1)

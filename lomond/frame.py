"""The WebSocket frame (RFC 6455 section 5.2) and its encoding.

::

     0                   1                   2                   3
     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    +-+-+-+-+-------+-+-------------+-------------------------------+
    |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
    |N|V|V|V|       |S|             |   (if payload len==126/127)   |
    | |1|2|3|       |K|             |                               |
    +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
    |     Extended payload length continued, if payload len == 127  |
    + - - - - - - - - - - - - - - - +-------------------------------+
    |                               |Masking-key, if MASK set to 1  |
    +-------------------------------+-------------------------------+
    | Masking-key (continued)       |          Payload Data         |
    +-------------------------------- - - - - - - - - - - - - - - - +
"""

import struct

from .errors import FrameBuildError
from .mask import XorMaskerSimple, as_bytes, mask, mask_into
from .opcode import Opcode

_pack_small = struct.Struct("!BB").pack
_pack_medium = struct.Struct("!BBH").pack
_pack_large = struct.Struct("!BBQ").pack
_pack_small_key = struct.Struct("!BB4s").pack
_pack_medium_key = struct.Struct("!BBH4s").pack
_pack_large_key = struct.Struct("!BBQ4s").pack

#: Frames this large (which need the 64-bit length) are built in place.
LARGE_FRAME = 0x10000

MASKS_IN_C = XorMaskerSimple is not None


class Frame(object):
    """One WebSocket frame: a value object.

    :param int opcode: The frame's opcode (see :class:`~lomond.opcode.Opcode`).
    :param bytes payload: The (unmasked) payload.
    :param bool fin: True for the last frame of a message.
    :param bool rsv1: The RSV1 bit (set on compressed messages).
    :param bool rsv2: The RSV2 bit.
    :param bool rsv3: The RSV3 bit.
    """

    __slots__ = ["opcode", "payload", "fin", "rsv1", "rsv2", "rsv3"]

    def __init__(self, opcode, payload=b"", fin=True, rsv1=False, rsv2=False, rsv3=False):
        self.opcode = opcode
        self.payload = payload
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3

    def __repr__(self):
        flags = "".join(
            name
            for name, value in (
                (" fin", self.fin),
                (" rsv1", self.rsv1),
                (" rsv2", self.rsv2),
                (" rsv3", self.rsv3),
            )
            if value
        )
        payload = self.payload
        shown = repr(payload[:16]) + ("..." if len(payload) > 16 else "")
        return "<frame {}{} {} bytes {}>".format(
            Opcode.to_str(self.opcode), flags, len(payload), shown
        )

    def __eq__(self, other):
        if not isinstance(other, Frame):
            return NotImplemented
        return all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    @property
    def is_control(self):
        """True for close, ping and pong frames (RFC 6455 5.5)."""
        return self.opcode >= 0x8

    def to_bytes(self, mask_key=None):
        """Encode the frame.

        :param bytes mask_key: A 4-byte masking key (client frames), or
            None for an unmasked frame (server frames).
        :rtype: bytes
        """
        return encode_frame(
            self.opcode,
            self.payload,
            fin=self.fin,
            rsv1=self.rsv1,
            rsv2=self.rsv2,
            rsv3=self.rsv3,
            mask_key=mask_key,
        )


def encode_header(opcode, length, fin=True, rsv1=False, rsv2=False, rsv3=False, mask_key=None):
    """Encode a frame header (with the masking key, if any).

    :param int opcode: The opcode.
    :param int length: The payload length.
    :param bytes mask_key: A 4-byte masking key, or None.
    :rtype: bytes
    :raises lomond.errors.FrameBuildError: If the length can't be encoded.
    """
    first = (
        (0x80 if fin else 0)
        | (0x40 if rsv1 else 0)
        | (0x20 if rsv2 else 0)
        | (0x10 if rsv3 else 0)
        | opcode
    )
    mask_bit = 0 if mask_key is None else 0x80
    # RFC 6455 5.2: the minimal number of bytes must encode the length.
    if length < 126:
        header = _pack_small(first, mask_bit | length)
    elif length < 0x10000:
        header = _pack_medium(first, mask_bit | 126, length)
    elif length < 0x8000000000000000:
        header = _pack_large(first, mask_bit | 127, length)
    else:
        raise FrameBuildError("a frame payload must be smaller than 2**63 bytes")
    if mask_key is not None:
        header += mask_key
    return header


def encode_frame(opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False, mask_key=None):
    """Encode a whole frame, masking the payload if a key is given.

    :param int opcode: The opcode.
    :param bytes payload: The payload (bytes-like).
    :param bytes mask_key: A 4-byte masking key, or None.
    :rtype: bytes
    """
    header = encode_header(opcode, len(payload), fin, rsv1, rsv2, rsv3, mask_key)
    if mask_key is not None:
        payload = mask(mask_key, payload)
    return header + as_bytes(payload)


def encode_client_frame(opcode, payload, mask_key, rsv1=False):
    """Encode a final (FIN) client frame: the send path's shortcut.

    The same bytes as ``encode_frame(opcode, payload, rsv1=rsv1,
    mask_key=mask_key)``, with the header and key packed in one go; a
    frame of 64 KiB or more comes back as a ``bytearray`` built in place.

    :param int opcode: The opcode.
    :param bytes payload: The payload.
    :param bytes mask_key: The 4-byte masking key.
    :param bool rsv1: Set RSV1 (a compressed message).
    :rtype: bytes or bytearray
    """
    first = (0xC0 if rsv1 else 0x80) | opcode
    length = len(payload)
    if length < 126:
        return _pack_small_key(first, 0x80 | length, mask_key) + mask(mask_key, payload)
    if length < LARGE_FRAME:
        return _pack_medium_key(first, 0xFE, length, mask_key) + mask(mask_key, payload)
    if length >= 0x8000000000000000:
        raise FrameBuildError("a frame payload must be smaller than 2**63 bytes")
    if MASKS_IN_C:
        return _pack_large_key(first, 0xFF, length, mask_key) + mask(mask_key, payload)
    # In pure Python a large frame is built in one buffer and masked in
    # place: a bytearray, without another copy of the payload.
    frame = bytearray(14 + length)
    frame[:14] = _pack_large_key(first, 0xFF, length, mask_key)
    mask_into(mask_key, payload, frame, 14)
    return frame

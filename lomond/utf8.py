"""Strict UTF-8 decoding that fails as early as RFC 6455 asks.

RFC 6455 8.1: an endpoint that receives text which is not valid UTF-8 must
fail the connection, and Autobahn checks that a client fails *at the first
invalid byte* of a fragmented message, not at its end. Python's codecs do
the heavy lifting in C, but they need two corrections:

- the incremental decoder holds back an incomplete sequence without
  checking that it can still become valid (``ED A0`` is held on 3.11 although
  no continuation can make it valid), so the held bytes are checked here;
- Python 2.7's codec accepts UTF-8-encoded surrogates (``ED A0 80`` to
  ``ED BF BF``), which UTF-8 forbids; on 2.7 they are searched for.
"""

import codecs
import re

import six

from .errors import Utf8Error

_IncrementalDecoder = codecs.getincrementaldecoder("utf-8")

# bytes.isascii() (Python 3.7 and later) scans without building any text.
_HAS_ISASCII = hasattr(bytes, "isascii")

# The range of the byte after each lead byte of a multi-byte sequence
# (Unicode 15, table 3-7). Later bytes are always 80-BF.
_SECOND_BYTE = {}
for _lead in range(0xC2, 0xE0):
    _SECOND_BYTE[_lead] = (0x80, 0xBF)
for _lead in range(0xE1, 0xF0):
    _SECOND_BYTE[_lead] = (0x80, 0xBF)
_SECOND_BYTE[0xE0] = (0xA0, 0xBF)
_SECOND_BYTE[0xED] = (0x80, 0x9F)
_SECOND_BYTE[0xF0] = (0x90, 0xBF)
for _lead in range(0xF1, 0xF4):
    _SECOND_BYTE[_lead] = (0x80, 0xBF)
_SECOND_BYTE[0xF4] = (0x80, 0x8F)

_SURROGATE = re.compile(b"\xed[\xa0-\xbf]")


def is_valid_prefix(pending):
    """Tell if ``pending`` (at most 3 bytes) can begin a valid character.

    :param bytes pending: The start of an incomplete UTF-8 sequence.
    :rtype: bool
    """
    pending = bytearray(pending)
    limits = _SECOND_BYTE.get(pending[0])
    if limits is None:
        return False
    if len(pending) > 1 and not limits[0] <= pending[1] <= limits[1]:
        return False
    for byte in pending[2:]:
        if not 0x80 <= byte <= 0xBF:
            return False
    return True


def _fail(error):
    return Utf8Error("invalid UTF-8 in text: {}".format(error.reason))


class Utf8Decoder(object):
    """Decode UTF-8 that arrives in pieces, failing at the first bad byte.

    Call :meth:`decode` for each piece, with ``final=True`` for the last.
    """

    __slots__ = ["_decoder"]

    def __init__(self):
        self._decoder = _IncrementalDecoder("strict")

    def decode(self, data, final=False):
        """Decode the next piece.

        :param bytes data: The next bytes of the text.
        :param bool final: True when this is the last piece.
        :returns: The text completed so far.
        :rtype: str
        :raises lomond.errors.Utf8Error: As soon as the bytes seen so far
            can't be valid UTF-8.
        """
        decoder = self._decoder
        if six.PY2:
            held = decoder.getstate()[0]
            if (held or b"\xed" in data) and _SURROGATE.search(held + bytes(data)):
                raise Utf8Error("invalid UTF-8 in text: encoded surrogate")
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as error:
            raise _fail(error)
        held = decoder.getstate()[0]
        if held and not is_valid_prefix(held):
            raise Utf8Error("invalid UTF-8 in text: bad multi-byte sequence")
        return text

    def validate(self, data, final=False):
        """Check the next piece as :meth:`decode` does, keeping no text.

        For a message decoded once it has all arrived: the check still
        fails at the first bad piece. ASCII with nothing held back is
        passed without decoding.

        :param bytes data: The next bytes of the text (bytes or bytearray).
        :param bool final: True when this is the last piece.
        :raises lomond.errors.Utf8Error: As soon as the bytes seen so far
            can't be valid UTF-8.
        """
        if _HAS_ISASCII and data.isascii() and not self._decoder.getstate()[0]:
            return
        self.decode(data, final)


def decode_utf8(data):
    """Decode a complete piece of UTF-8 text, strictly.

    :param bytes data: The encoded text.
    :rtype: str
    :raises lomond.errors.Utf8Error: If it is not valid UTF-8.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _fail(error)
    if six.PY2 and b"\xed" in data and _SURROGATE.search(data):
        raise Utf8Error("invalid UTF-8 in text: encoded surrogate")
    return text

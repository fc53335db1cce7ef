"""Frames to messages: fragmentation, decompression and size limits.

RFC 6455 5.4: a message is one frame with FIN set, or a TEXT or BINARY
frame without FIN followed by CONTINUATION frames, the last with FIN.
Control frames may come between the fragments; they never reach this
module. The size limit applies to the message as it arrives (after
decompression), so a message is refused before it is fully buffered.
"""

from .errors import PayloadTooLarge, ProtocolError
from .events import Binary, Text
from .opcode import Opcode
from .utf8 import Utf8Decoder, decode_utf8

_TEXT = Opcode.TEXT
_CONTINUATION = Opcode.CONTINUATION

#: Pieces of a fragmented message smaller than this are copied together
#: into chunks of about this size. A bytes object costs some 40 bytes
#: besides its data, so keeping each small fragment on its own would make
#: memory follow the number of fragments instead of the payload (millions
#: of empty or 1-byte fragments fit under any size limit). Larger pieces
#: are kept as they arrive and copied once, by the final join.
GATHER_SIZE = 4096


class MessageAssembler(object):
    """Reassemble data frames into Text and Binary events.

    :param int max_size: The largest message accepted, in bytes after
        decompression, or None for no limit.
    :param deflate: The negotiated :class:`~lomond.compression.Deflate`
        codec, or None without compression.

    A fragmented message costs memory in proportion to its payload, not
    to its number of fragments: its text is checked as it arrives (so
    invalid UTF-8 fails at the first bad fragment) but decoded once, at
    the end.
    """

    __slots__ = [
        "max_size",
        "deflate",
        "_opcode",
        "_compressed",
        "_parts",
        "_gathered",
        "_size",
        "_validator",
    ]

    __slots__ = ["max_size", "deflate", "_opcode", "_compressed", "_parts", "_gathered", "_size", "_validator"]

    def __init__(self, max_size=None, deflate=None):
        self.max_size = max_size
        self.deflate = deflate
        self._opcode = None  # of the fragmented message in progress
        self._compressed = False
        # Of a fragmented message in progress (None between messages):
        self._parts = None  # pieces of at least GATHER_SIZE bytes
        self._gathered = None  # small pieces, copied together
        self._size = 0
        self._validator = None

    @property
    def in_progress(self):
        """True between the first and the last frame of a message."""
        return self._opcode is not None

    def feed(self, frame):
        """Take one data frame.

        :param frame: A TEXT, BINARY or CONTINUATION
            :class:`~lomond.frame.Frame`.
        :returns: A :class:`~lomond.events.Text` or
            :class:`~lomond.events.Binary` event when the frame completes a
            message, else None.
        :raises lomond.errors.ProtocolError: If the frame breaks the
            fragmentation rules, the text is not UTF-8, the data doesn't
            inflate, or the message is over the limit (with the close code).
        """
        opcode = frame.opcode
        if opcode == _CONTINUATION:
            if self._opcode is None:
                raise ProtocolError("continuation frame without a message to continue")
            return self._add(frame)
        if self._opcode is not None:
            raise ProtocolError("new message started before the last one ended")
        if frame.fin and not frame.rsv1:
            # A whole uncompressed message in one frame: the common case.
            # The frame parser has already applied the size limit.
            if opcode == _TEXT:
                return Text(decode_utf8(frame.payload))
            return Binary(frame.payload)
        if frame.rsv1 and self.deflate is None:
            raise ProtocolError("compressed message without compression")
        if frame.fin:
            # A whole compressed message in one frame.
            data = self.deflate.decompress_message(frame.payload, self.max_size)
            self._check_size(len(data))
            if opcode == _TEXT:
                return Text(decode_utf8(data))
            return Binary(data)
        self._opcode = opcode
        self._compressed = frame.rsv1
        self._validator = Utf8Decoder() if opcode == _TEXT else None
        self._parts = []
        self._gathered = bytearray()
        return self._add(frame)

    def _add(self, frame):
        fin = frame.fin
        if self._compressed:
            deflate = self.deflate
            max_size = self.max_size
            room = None if max_size is None else max_size - self._size
            self._keep(deflate.decompress(frame.payload, room), False)
            if fin:
                room = None if max_size is None else max_size - self._size
                self._keep(deflate.finish(room), True)
        else:
            self._keep(frame.payload, fin)
        if not fin:
            return None
        return self._finish()

    def _keep(self, data, final):
        """Check the next piece of the message and keep it."""
        size = len(data)
        self._size += size
        self._check_size(self._size)
        if self._validator is not None:
            self._validator.validate(data, final)
        if size >= GATHER_SIZE:
            if self._gathered:
                self._parts.append(bytes(self._gathered))
                self._gathered = bytearray()
            self._parts.append(data)
        elif size:
            gathered = self._gathered
            gathered += data
            if len(gathered) >= GATHER_SIZE:
                self._parts.append(bytes(gathered))
                self._gathered = bytearray()

    def _check_size(self, size):
        """The size limit of a message, whether it came compressed or not."""
        max_size = self.max_size
        if max_size is not None and size > max_size:
            raise PayloadTooLarge("message is over the limit of {} bytes".format(max_size))

    def _finish(self):
        """Join the pieces of the message that just ended into its event."""
        parts = self._parts
        if self._gathered:
            parts.append(bytes(self._gathered))
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if self._opcode == _TEXT:
            # Checked piece by piece as it arrived: only decoding is left.
            event = Text(data.decode("utf-8"))
        else:
            event = Binary(data)
        self._opcode = None
        self._compressed = False
        self._parts = self._gathered = None
        self._size = 0
        self._validator = None
        return event

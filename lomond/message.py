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


class MessageAssembler(object):
    """Reassemble data frames into Text and Binary events.

    :param int max_size: The largest message accepted, in bytes after
        decompression, or None for no limit.
    :param deflate: The negotiated :class:`~lomond.compression.Deflate`
        codec, or None without compression.
    """

    def __init__(self, max_size=None, deflate=None):
        self.max_size = max_size
        self.deflate = deflate
        self._opcode = None  # of the fragmented message in progress
        self._compressed = False
        self._parts = []
        self._size = 0
        self._decoder = None

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
            if opcode == _TEXT:
                return Text(decode_utf8(data))
            return Binary(data)
        self._opcode = opcode
        self._compressed = frame.rsv1
        self._decoder = Utf8Decoder() if opcode == _TEXT else None
        return self._add(frame)

    def _add(self, frame):
        data = frame.payload
        max_size = self.max_size
        if self._compressed:
            deflate = self.deflate
            room = None if max_size is None else max_size - self._size
            data = deflate.decompress(data, room)
            if frame.fin:
                data += deflate.finish(None if room is None else room - len(data))
        self._size += len(data)
        if max_size is not None and self._size > max_size:
            raise PayloadTooLarge(
                "message is over the limit of {} bytes".format(max_size)
            )
        if self._decoder is not None:
            self._parts.append(self._decoder.decode(data, frame.fin))
        else:
            self._parts.append(data)
        if not frame.fin:
            return None
        parts = self._parts
        if self._opcode == _TEXT:
            event = Text(parts[0] if len(parts) == 1 else "".join(parts))
        else:
            event = Binary(parts[0] if len(parts) == 1 else b"".join(parts))
        self._opcode = None
        self._compressed = False
        self._parts = []
        self._size = 0
        self._decoder = None
        return event

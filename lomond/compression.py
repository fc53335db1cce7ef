"""permessage-deflate (RFC 7692): the offer, the answer and the codec,
in both roles.

:class:`PerMessageDeflate` holds what a client wants and writes the offer;
its :meth:`~PerMessageDeflate.accept` checks the server's answer and builds
a :class:`Deflate`, the codec that compresses and decompresses messages.
:class:`ServerDeflate` is the server's side (for the test server): it
reads the offers with the same rules (:func:`read_parameters`) and answers
one.
"""

import zlib

from .errors import CompressionParameterError, ProtocolError
from .extension import format_extension, parse_extensions
from .status import Status

EXTENSION_NAME = "permessage-deflate"

# RFC 7692 7.2.1: a compressed message has these 4 bytes removed from its
# end, and the receiver appends them again before inflating.
_TAIL = b"\x00\x00\xff\xff"

_WINDOW_VALUES = dict((str(bits), bits) for bits in range(8, 16))


_FLAGS = ("server_no_context_takeover", "client_no_context_takeover")
_WINDOWS = ("server_max_window_bits", "client_max_window_bits")


def _check_bits(name, bits):
    if bits is not None and bits not in range(8, 16):
        raise ValueError("{} must be an int from 8 to 15, or None".format(name))


def read_parameters(params, offer=False):
    """Check the parameters of one permessage-deflate offer or answer
    (RFC 7692 7.1), for either role.

    :param list params: ``(name, value)`` pairs, as
        ``lomond.extension.parse_extensions`` gives them.
    :param bool offer: They are an offer: ``client_max_window_bits`` may
        come without a value (7.1.2.2); in an answer every window has one.
    :returns: Each parameter present: the flags as True, the windows as
        an int (or None for a client window offered without a value).
    :rtype: dict
    :raises lomond.errors.CompressionParameterError: Saying what is wrong.
    """
    seen = {}
    for name, value in params:
        if name in seen:
            raise CompressionParameterError("duplicate parameter {}".format(name))
        if name in _FLAGS:
            if value is not None:
                raise CompressionParameterError("{} takes no value".format(name))
            seen[name] = True
        elif name in _WINDOWS:
            # 7.1.2: a decimal integer without leading zeroes, 8-15.
            if value is None and offer and name == "client_max_window_bits":
                seen[name] = None
            elif value not in _WINDOW_VALUES:
                raise CompressionParameterError("invalid {}={!r}".format(name, value))
            else:
                seen[name] = _WINDOW_VALUES[value]
        else:
            raise CompressionParameterError("unknown parameter {}".format(name))
    return seen


class PerMessageDeflate(object):
    """What a client asks for when it offers permessage-deflate.

    Pass one as ``WebSocket(url, compress=PerMessageDeflate(...))``;
    ``compress=True`` means ``PerMessageDeflate()``.

    :param bool server_no_context_takeover: Ask the server to compress each
        message on its own (less memory for both sides, worse ratio).
    :param bool client_no_context_takeover: Compress each message sent on
        its own, and tell the server so.
    :param int server_max_window_bits: Ask the server for an LZ77 window of
        at most 2**bits bytes (8-15), or None for the server's choice.
    :param int client_max_window_bits: The largest window this client uses
        for compression (8-15), or None: the server may then pick any.
    :param int level: The zlib compression level (0-9, or -1 for zlib's
        default).
    :param int mem_level: The zlib memory level (1-9).
    :param bool fallback: Also offer plain permessage-deflate, for servers
        that decline the parameters of the first offer.
    :raises ValueError: If a parameter is out of range.
    """

    def __init__(
        self,
        server_no_context_takeover=False,
        client_no_context_takeover=False,
        server_max_window_bits=None,
        client_max_window_bits=None,
        level=zlib.Z_DEFAULT_COMPRESSION,
        mem_level=8,
        fallback=True,
    ):
        _check_bits("server_max_window_bits", server_max_window_bits)
        _check_bits("client_max_window_bits", client_max_window_bits)
        if level not in range(-1, 10):
            raise ValueError("level must be from 0 to 9, or -1")
        if mem_level not in range(1, 10):
            raise ValueError("mem_level must be from 1 to 9")
        self.server_no_context_takeover = bool(server_no_context_takeover)
        self.client_no_context_takeover = bool(client_no_context_takeover)
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.level = level
        self.mem_level = mem_level
        self.fallback = fallback

    def __repr__(self):
        return (
            "PerMessageDeflate(server_no_context_takeover={!r}, "
            "client_no_context_takeover={!r}, server_max_window_bits={!r}, "
            "client_max_window_bits={!r}, level={!r}, mem_level={!r})"
        ).format(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
            self.level,
            self.mem_level,
        )

    def offer(self):
        """The value of the Sec-WebSocket-Extensions request header.

        The first offer carries the caller's parameters and a
        ``client_max_window_bits`` (RFC 7692 7.1.2.2: without it the server
        may not choose our window). The fallback is plain, for servers that
        decline parameters they don't support.

        :rtype: str
        """
        return ", ".join(format_extension(EXTENSION_NAME, params) for params in self._offers())

    def _offers(self):
        """The offers, in order of preference, as ``(name, value)`` lists."""
        params = []
        if self.server_no_context_takeover:
            params.append(("server_no_context_takeover", None))
        if self.client_no_context_takeover:
            params.append(("client_no_context_takeover", None))
        if self.server_max_window_bits is not None:
            params.append(("server_max_window_bits", str(self.server_max_window_bits)))
        client_bits = self.client_max_window_bits
        params.append(("client_max_window_bits", None if client_bits is None else str(client_bits)))
        return [params, []] if self.fallback else [params]

    def accept(self, params):
        """Check the server's answer and build the codec.

        :param list params: The ``(name, value)`` parameters of the one
            permessage-deflate extension in the response.
        :rtype: Deflate
        :raises lomond.errors.CompressionParameterError: If the answer
            breaks RFC 7692 or doesn't fit any of the offers.
        """
        seen = read_parameters(params)
        server_bits = seen.get("server_max_window_bits")
        client_bits = seen.get("client_max_window_bits")

        # The answer doesn't say which offer it accepts: it must fit one.
        # When none fits, the first offer's reason is the one to give.
        misfits = [_misfit(dict(offer), server_bits, client_bits) for offer in self._offers()]
        if None not in misfits:
            raise CompressionParameterError(misfits[0])

        return Deflate(
            decompress_wbits=15 if server_bits is None else server_bits,
            compress_wbits=(
                (15 if self.client_max_window_bits is None else self.client_max_window_bits)
                if client_bits is None
                else client_bits
            ),
            reset_decompress="server_no_context_takeover" in seen,
            reset_compress=(
                "client_no_context_takeover" in seen or self.client_no_context_takeover
            ),
            level=self.level,
            mem_level=self.mem_level,
        )


def _misfit(offered, server_bits, client_bits):
    """Why an answer's window sizes can't accept an offer, or None.

    :param dict offered: The offer's parameters (name to value).
    :param int server_bits: The answer's ``server_max_window_bits``, or
        None.
    :param int client_bits: The answer's ``client_max_window_bits``, or
        None.
    :rtype: str
    """
    if client_bits is not None:
        # RFC 7692 7.1.2.2: "If a received extension negotiation offer
        # doesn't have the "client_max_window_bits" extension parameter,
        # the corresponding extension negotiation response to the offer
        # MUST NOT include the "client_max_window_bits" extension
        # parameter." With a value in the offer, the server may answer
        # "with a value equal to or smaller than the received value".
        if "client_max_window_bits" not in offered:
            return "answer has client_max_window_bits, which no offer carried"
        limit = offered["client_max_window_bits"]
        if limit is not None and client_bits > int(limit):
            return "client_max_window_bits={} is over the {} offered".format(client_bits, limit)
    limit = offered.get("server_max_window_bits")
    if server_bits is not None and limit is not None and server_bits > int(limit):
        # RFC 7692 7.1.2.1: "A server accepts an extension negotiation
        # offer with this parameter by including the
        # "server_max_window_bits" extension parameter in the extension
        # negotiation response to send back to the client with the same or
        # smaller value as the offer." Without it in the offer, any value
        # is fine: "A server MAY include the "server_max_window_bits"
        # extension parameter in an extension negotiation response even
        # if the extension negotiation offer being accepted by the
        # response didn't include the "server_max_window_bits" extension
        # parameter."
        return "server_max_window_bits={} is over the {} offered".format(server_bits, limit)
    return None


class ServerDeflate(object):
    """How a server answers a permessage-deflate offer: the other role of
    the negotiation, for :mod:`lomond.testing`'s server.

    :param bool server_no_context_takeover: Compress each message alone.
    :param bool client_no_context_takeover: Ask the client to do the same.
    :param int server_max_window_bits: The server's window (8 sends its
        messages uncompressed, as zlib can't compress with it).
    :param int client_max_window_bits: Limit the client's window (only
        if the client offered ``client_max_window_bits``).
    """

    def __init__(
        self,
        server_no_context_takeover=False,
        client_no_context_takeover=False,
        server_max_window_bits=None,
        client_max_window_bits=None,
    ):
        _check_bits("server_max_window_bits", server_max_window_bits)
        _check_bits("client_max_window_bits", client_max_window_bits)
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits

    def negotiate(self, offer_header):
        """Pick the first offer this server can accept.

        :param str offer_header: The Sec-WebSocket-Extensions request header.
        :returns: ``(response header value, Deflate)``, or ``(None, None)``
            to decline.
        """
        try:
            offers = parse_extensions(offer_header)
        except ValueError:
            return None, None
        for name, params in offers:
            if name != EXTENSION_NAME:
                continue
            try:
                offered = read_parameters(params, offer=True)
            except CompressionParameterError:
                continue  # RFC 7692 5: decline an offer it can't read
            answer = self._answer(offered)
            if answer is not None:
                return answer
        return None, None

    def _answer(self, offered):
        # 7.1.2.1: never more than the window the client asked for.
        server_bits = self.server_max_window_bits
        wanted = offered.get("server_max_window_bits")
        if wanted is not None:
            server_bits = wanted if server_bits is None else min(server_bits, wanted)
        # 7.1.2.2: a limit on the client's window only if it offered one.
        if "client_max_window_bits" in offered:
            client_bits = self.client_max_window_bits
            limit = offered["client_max_window_bits"]
            if limit is not None:
                client_bits = limit if client_bits is None else min(client_bits, limit)
        elif self.client_max_window_bits is not None:
            return None
        else:
            client_bits = None
        server_reset = self.server_no_context_takeover or "server_no_context_takeover" in offered
        client_reset = self.client_no_context_takeover or "client_no_context_takeover" in offered
        answer = []
        if server_reset:
            answer.append(("server_no_context_takeover", None))
        if client_reset:
            answer.append(("client_no_context_takeover", None))
        if server_bits is not None:
            answer.append(("server_max_window_bits", str(server_bits)))
        if client_bits is not None:
            answer.append(("client_max_window_bits", str(client_bits)))
        codec = Deflate(
            decompress_wbits=15 if client_bits is None else client_bits,
            compress_wbits=15 if server_bits is None else server_bits,
            reset_decompress=client_reset,
            reset_compress=server_reset,
        )
        return format_extension(EXTENSION_NAME, answer), codec


class Deflate(object):
    """The negotiated permessage-deflate codec of one connection.

    :param int decompress_wbits: The window the server compresses with.
    :param int compress_wbits: The window this client may compress with.
    :param bool reset_decompress: The server compresses each message on its
        own (``server_no_context_takeover``).
    :param bool reset_compress: Compress each message on its own.
    :param int level: The zlib level.
    :param int mem_level: The zlib memory level.

    zlib can't produce a raw deflate stream with a window of 8 (256 bytes),
    so when the server limits the client to 8, :attr:`can_compress` is
    False and messages are sent uncompressed, which RFC 7692 always allows.
    """

    def __init__(
        self,
        decompress_wbits=15,
        compress_wbits=15,
        reset_decompress=False,
        reset_compress=False,
        level=zlib.Z_DEFAULT_COMPRESSION,
        mem_level=8,
    ):
        self.decompress_wbits = decompress_wbits
        self.compress_wbits = compress_wbits
        self.reset_decompress = reset_decompress
        self.reset_compress = reset_compress
        self.level = level
        self.mem_level = mem_level
        self._compressor = None
        self._decompressor = None

    def __repr__(self):
        return "Deflate(decompress_wbits={}, compress_wbits={}, reset_decompress={}, reset_compress={})".format(
            self.decompress_wbits,
            self.compress_wbits,
            self.reset_decompress,
            self.reset_compress,
        )

    @property
    def can_compress(self):
        """False when the negotiated client window is too small for zlib."""
        return self.compress_wbits >= 9

    def compress(self, data):
        """Compress one whole message.

        :param bytes data: The message payload.
        :returns: The payload of a frame with RSV1 set.
        :rtype: bytes
        """
        compressor = self._compressor
        if compressor is None:
            compressor = zlib.compressobj(
                self.level, zlib.DEFLATED, -self.compress_wbits, self.mem_level
            )
            self._compressor = None if self.reset_compress else compressor
        payload = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if payload.endswith(_TAIL):
            payload = payload[:-4]
        return payload

    def decompress(self, data, limit):
        """Inflate the next piece of a compressed message.

        :param bytes data: A frame payload of the message.
        :param int limit: The most bytes of output the message has room
            for, or None.
        :returns: The output, cut at ``limit + 1`` bytes: more than
            ``limit`` means the message is over its limit (the caller says
            so), and the rest is never inflated.
        :rtype: bytes
        :raises lomond.errors.ProtocolError: If the data isn't deflate.
        """
        decompressor = self._decompressor
        if decompressor is None or _stream_ended(decompressor):
            # A stream that ended with a BFINAL block starts afresh.
            decompressor = self._decompressor = zlib.decompressobj(-self.decompress_wbits)
        return _inflate(decompressor, data, limit)

    def decompress_message(self, data, limit):
        """Inflate a whole message that came in one frame (the common case).

        The same as :meth:`decompress` followed by :meth:`finish`, in one
        zlib call.

        :param bytes data: The frame payload.
        :param int limit: The most bytes of output allowed, or None.
        :returns: The output, cut at ``limit + 1`` bytes as for
            :meth:`decompress`.
        :rtype: bytes
        """
        decompressor = self._decompressor
        if decompressor is None or _stream_ended(decompressor):
            decompressor = self._decompressor = zlib.decompressobj(-self.decompress_wbits)
        output = _inflate(decompressor, data + _TAIL, limit)
        if self.reset_decompress:
            self._decompressor = None
        return output

    def finish(self, limit):
        """End a compressed message: inflate the removed tail.

        :param int limit: The most bytes of output still allowed, or None.
        :returns: The output, cut at ``limit + 1`` bytes as for
            :meth:`decompress`.
        :rtype: bytes
        """
        decompressor = self._decompressor
        if decompressor is None:
            return b""
        # The same stream takes the tail even if it has ended: zlib then
        # keeps it as unused_data, which _stream_ended() sees. (A fresh
        # stream would take it as the start of a stored block and garble
        # the next message.)
        output = _inflate(decompressor, _TAIL, limit)
        if self.reset_decompress:
            self._decompressor = None
        return output


def _stream_ended(decompressor):
    """True once a deflate stream has had its final (BFINAL) block."""
    # Python 2.7's decompressor has no eof; bytes left after the end do.
    return getattr(decompressor, "eof", False) or bool(decompressor.unused_data)


def _inflate(decompressor, data, limit):
    """Inflate ``data``, stopping one byte past ``limit`` bytes of output.

    The byte past the limit is what tells the caller the message is too
    large; zlib keeps the rest of the input unread, so a compression bomb
    never inflates beyond it.
    """
    try:
        if limit is None:
            return decompressor.decompress(data)
        return decompressor.decompress(data, limit + 1)
    except zlib.error as error:
        raise ProtocolError(
            "compressed message is not valid deflate data ({})".format(error),
            Status.BAD_DATA,
        )

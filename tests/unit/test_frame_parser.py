import random
import struct

import pytest

from lomond.errors import CriticalProtocolError
from lomond.frame import Frame, encode_frame
from lomond.frame_parser import FrameParser
from lomond.opcode import Opcode
from lomond.parser import ParseError

from .chunks import SPLITS, bytewise
from .memory import attributes

KEY = b"\x9a\x01\xfe\x42"
DATA_OPCODES = [Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY]
CONTROL_OPCODES = [Opcode.CLOSE, Opcode.PING, Opcode.PONG]
RESERVED = [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]


def payload_of(size, seed=0):
    rng = random.Random(seed)
    return bytes(bytearray(rng.getrandbits(8) for _ in range(size)))


def parse(chunks, parser_class=FrameParser, **options):
    parser = parser_class(**options)
    frames = []
    for chunk in chunks:
        if parser.is_finished:
            break
        frames.extend(parser.feed(chunk))
    return frames, parser


def assert_frames(data, expected, split, **options):
    frames, parser = parse(split(data), **options)
    assert parser.error is None
    assert frames == expected
    assert parser.is_idle


def encode(frame, server_role=False, key=KEY):
    return frame.to_bytes(key if server_role else None)


def assert_rejected(header, code=1002, **options):
    """The error is set by the header's last byte, with no payload read."""
    parser = FrameParser(**options)
    for byte in bytewise(header[:-1]):
        assert parser.feed(byte) == []
        assert parser.error is None
    assert parser.feed(header[-1:]) == []
    assert isinstance(parser.error, CriticalProtocolError)
    assert parser.error.code == code
    assert parser.is_finished
    assert FrameParser(**options).feed(header) == []


# RFC 6455 5.2: round trips


@pytest.mark.parametrize("server_role", [False, True])
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536])
def test_length_forms_round_trip(size, split, server_role):
    frame = Frame(Opcode.BINARY, payload_of(size, seed=size))
    assert_frames(encode(frame, server_role), [frame], split, server_role=server_role)


@pytest.mark.parametrize("server_role", [False, True])
@pytest.mark.parametrize("opcode", DATA_OPCODES + CONTROL_OPCODES)
def test_every_opcode_round_trips(opcode, server_role):
    frames = [Frame(opcode, b"payload")]
    if opcode in DATA_OPCODES:
        frames.append(Frame(opcode, b"", fin=False))
        frames.append(Frame(opcode, b"x", fin=False, rsv1=opcode != Opcode.CONTINUATION))
    data = b"".join(encode(frame, server_role) for frame in frames)
    for split in SPLITS:
        assert_frames(data, frames, split, rsv1=True, server_role=server_role)


@pytest.mark.parametrize("split", SPLITS)
def test_control_frame_of_125_bytes(split):
    frame = Frame(Opcode.PING, b"p" * 125)
    assert_frames(encode(frame), [frame], split)


@pytest.mark.parametrize("server_role", [False, True])
@pytest.mark.parametrize("split", SPLITS)
def test_stream_of_frames(split, server_role):
    rng = random.Random(7)
    frames = []
    data = b""
    for index in range(40):
        opcode = rng.choice(DATA_OPCODES + CONTROL_OPCODES)
        if opcode >= 8:
            frame = Frame(opcode, payload_of(rng.choice([0, 3, 125]), seed=index))
        else:
            size = rng.choice([0, 1, 126, 500] * 5 + [40000])
            frame = Frame(opcode, payload_of(size, seed=index), fin=rng.random() < 0.5)
        frames.append(frame)
        data += frame.to_bytes(payload_of(4, seed=-index) if server_role else None)
    assert_frames(data, frames, split, server_role=server_role)


@pytest.mark.parametrize("split", SPLITS)
def test_frame_at_max_size(split):
    frame = Frame(Opcode.BINARY, b"m" * 300)
    assert_frames(encode(frame), [frame], split, max_size=300)


def test_payloads_are_bytes():
    frames, _ = parse([encode_frame(Opcode.TEXT, b"abc")])
    assert type(frames[0].payload) is bytes
    frames, _ = parse([encode_frame(Opcode.TEXT, b"abc", mask_key=KEY)], server_role=True)
    assert frames == [Frame(Opcode.TEXT, b"abc")] and type(frames[0].payload) is bytes


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("cut", [1, 3, 9])
def test_partial_frame_after_a_complete_one(split, cut):
    data = encode_frame(Opcode.TEXT, b"done") + encode_frame(Opcode.BINARY, b"x" * 200)[:cut]
    frames, parser = parse(split(data))
    assert frames == [Frame(Opcode.TEXT, b"done")]
    assert parser.error is None and not parser.is_finished
    assert not parser.is_idle


# Header checks, made before the payload is read


def test_rsv1_without_compression():
    assert_rejected(b"\xc1\x05")
    assert_rejected(b"\xc2\x05")


@pytest.mark.parametrize("opcode", CONTROL_OPCODES + [Opcode.CONTINUATION])
def test_rsv1_on_control_or_continuation_with_compression(opcode):
    assert_rejected(encode_frame(opcode, b"", fin=opcode != 0, rsv1=True)[:1] + b"\x05", rsv1=True)


@pytest.mark.parametrize("first", [b"\xa1", b"\x91", b"\xb2", b"\xf1"])
def test_rsv2_and_rsv3(first):
    assert_rejected(first + b"\x05")
    assert_rejected(first + b"\x05", rsv1=True)


@pytest.mark.parametrize("opcode", RESERVED)
def test_reserved_opcodes(opcode):
    assert_rejected(encode_frame(opcode, b"")[:1] + b"\x05")
    assert_rejected(encode_frame(opcode, b"")[:1] + b"\x85", server_role=True)


@pytest.mark.parametrize("opcode", RESERVED)
def test_reserved_opcode_in_a_whole_frame_after_a_good_one(opcode):
    # Whole frames in one chunk take the fast path; it must refuse them too.
    parser = FrameParser()
    frames = parser.feed(encode_frame(Opcode.TEXT, b"ok") + encode_frame(opcode, b"abc"))
    assert [frame.payload for frame in frames] == [b"ok"]
    assert isinstance(parser.error, CriticalProtocolError)
    assert parser.error.code == 1002


@pytest.mark.parametrize("opcode", CONTROL_OPCODES)
def test_control_frame_over_125_bytes(opcode):
    first = encode_frame(opcode, b"")[:1]
    assert_rejected(first + b"\x7e")
    assert_rejected(first + b"\x7f")


@pytest.mark.parametrize("opcode", CONTROL_OPCODES)
def test_fragmented_control_frame(opcode):
    assert_rejected(encode_frame(opcode, b"", fin=False)[:1] + b"\x05")


def test_masked_frame_from_the_server():
    assert_rejected(b"\x81\x85")


def test_unmasked_frame_from_the_client():
    assert_rejected(b"\x81\x05", server_role=True)


def test_64_bit_length_with_the_top_bit_set():
    assert_rejected(b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00")
    assert_rejected(b"\x82\xff\xff\xff\xff\xff\xff\xff\xff\xff", server_role=True)


@pytest.mark.parametrize(
    "header",
    [
        b"\x82\x65",
        b"\x82\x7e\x00\x65",
        b"\x82\x7e\xff\xff",
        b"\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x65",
        b"\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff",
    ],
)
def test_frame_over_max_size(header):
    assert_rejected(header, code=1009, max_size=100)


def test_max_size_applies_to_continuations_and_control_frames():
    assert_rejected(b"\x00\x7e\x00\x65", code=1009, max_size=100)
    assert_rejected(b"\x89\x65", code=1009, max_size=100)


def test_no_max_size():
    frames, parser = parse([b"\x82\x7f\x00\x00\x00\x00\x00\x10\x00\x00"])
    assert frames == [] and parser.error is None


# Memory between frames



def test_large_frames_in_a_row_share_a_buffer_that_a_small_frame_releases():
    parser = FrameParser()
    payload = b"x" * (8 * 1024 * 1024)
    spares = []
    for _ in range(3):
        assert parser.feed(encode_frame(Opcode.BINARY, payload)) == [Frame(Opcode.BINARY, payload)]
        spares.append(parser._spare)
    assert spares[0] is not None and spares.count(spares[0]) == 3
    assert parser.feed(encode_frame(Opcode.TEXT, b"small")) == [Frame(Opcode.TEXT, b"small")]
    buffers = [value for value in attributes(parser) if isinstance(value, bytearray)]
    assert [len(buffer) for buffer in buffers] == [FrameParser.buffer_size]


# Errors don't raise out of feed()


@pytest.mark.parametrize("split", SPLITS)
def test_valid_frame_then_a_bad_one(split):
    data = encode_frame(Opcode.TEXT, b"good") + b"\x83\x00" + encode_frame(Opcode.TEXT, b"never")
    frames = []
    parser = FrameParser()
    for chunk in split(data):
        if parser.is_finished:
            break
        frames.extend(parser.feed(chunk))
    assert frames == [Frame(Opcode.TEXT, b"good")]
    assert isinstance(parser.error, CriticalProtocolError)


def test_feeding_after_an_error_raises():
    parser = FrameParser()
    parser.feed(b"\x83\x00")
    with pytest.raises(ParseError):
        parser.feed(b"\x81\x00")


def test_error_message_names_the_frame():
    parser = FrameParser()
    parser.feed(b"\xc9\x00")
    assert "ping" in str(parser.error) and "without compression" in str(parser.error)


@pytest.mark.parametrize("split", SPLITS)
def test_control_frame_with_a_16_bit_length_is_refused_however_it_arrives(split):
    frames, parser = parse(split(b"\x89\x7e\x00\x03abc"))
    assert frames == []
    assert isinstance(parser.error, CriticalProtocolError)


def test_a_header_alone_does_not_allocate_the_declared_length():
    parser = FrameParser(max_size=None)
    parser.feed(b"\x82\x7f" + struct.pack("!Q", 1 << 62) + b"x")
    assert parser.error is None
    assert len(parser._target) <= parser.keep_large_buffer


@pytest.mark.parametrize("split", SPLITS)
def test_large_read_grows_with_the_data(split):
    class Small(FrameParser):
        keep_large_buffer = 1000

    payload = bytes(bytearray(index % 251 for index in range(50000)))
    frames, parser = parse(split(Frame(Opcode.BINARY, payload).to_bytes() + Frame(Opcode.TEXT, b"after").to_bytes()), parser_class=Small)
    assert parser.error is None
    assert [frame.payload for frame in frames] == [payload, b"after"]


# The fast path and parse() agree on every header


class GeneralPathOnly(FrameParser):
    """parse() alone: the fast path for whole frames turned off."""

    def _decode_whole_frames(self, results):
        pass


#: Second header bytes, with the extended length that follows 126 and 127.
SECOND_BYTES = [
    (0x00, b""),
    (0x05, b""),
    (0x64, b""),
    (0x65, b""),
    (0x7D, b""),
    (0x7E, struct.pack("!H", 5)),
    (0x7E, struct.pack("!H", 130)),
    (0x7F, struct.pack("!Q", 5)),
    (0x7F, struct.pack("!Q", 130)),
    (0x85, b""),
    (0xFE, struct.pack("!H", 5)),
    (0xFF, struct.pack("!Q", 5)),
]


def header_case(first, second, extended):
    """A frame with this header and the payload it announces, then a
    good frame."""
    length = second & 0x7F
    if extended:
        (length,) = struct.unpack("!H" if len(extended) == 2 else "!Q", extended)
    mask_key = KEY if second & 0x80 else b""
    header = bytes(bytearray([first, second])) + extended + mask_key
    return header, b"p" * length + encode_frame(Opcode.TEXT, b"after")


def outcome(parser, chunks):
    frames = []
    for chunk in chunks:
        if parser.is_finished:
            break
        frames.extend(parser.feed(chunk))
    error = parser.error
    if error is None:
        return frames, None, parser.is_idle
    return frames, (type(error), str(error), error.code), parser.is_finished


@pytest.mark.parametrize("max_size", [None, 100, 128])
@pytest.mark.parametrize("rsv1", [False, True])
def test_fast_path_and_parse_agree_on_every_header(rsv1, max_size):
    for first in range(256):
        for second, extended in SECOND_BYTES:
            header, rest = header_case(first, second, extended)
            expected = outcome(GeneralPathOnly(rsv1=rsv1, max_size=max_size), [header + rest])
            whole = outcome(FrameParser(rsv1=rsv1, max_size=max_size), [header + rest])
            split = outcome(FrameParser(rsv1=rsv1, max_size=max_size), bytewise(header) + [rest])
            assert whole == expected, (hex(first), hex(second), extended)
            assert split == expected, (hex(first), hex(second), extended)

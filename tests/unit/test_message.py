# -*- coding: utf-8 -*-
import gc
import random
import struct
import sys
import zlib

import pytest

from lomond.compression import Deflate
from lomond.errors import PayloadTooLarge, ProtocolError, Utf8Error
from lomond.frame import Frame, encode_frame
from lomond.handshake import Handshake, accept_key, make_key
from lomond.message import MessageAssembler
from lomond.opcode import Opcode
from lomond.session import WebsocketSession

try:
    import tracemalloc
except ImportError:  # Python 2.7: the retained-size check stands alone
    tracemalloc = None

TEXT, BINARY, CONTINUATION = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION


def summary(event):
    if event is None:
        return None
    return (event.name, event.text if event.name == "text" else event.data)


def assemble(frames, **options):
    assembler = MessageAssembler(**options)
    return [summary(assembler.feed(frame)) for frame in frames]


def fragments(opcode, parts, rsv1=False):
    """Frames that carry ``parts`` as one fragmented message."""
    frames = []
    for index, part in enumerate(parts):
        frames.append(
            Frame(
                opcode if index == 0 else CONTINUATION,
                part,
                fin=index == len(parts) - 1,
                rsv1=rsv1 and index == 0,
            )
        )
    return frames


def pieces(data, count):
    size = max(1, -(-len(data) // count))
    return [data[index : index + size] for index in range(0, len(data), size)] or [b""]


def flushed_parts(parts):
    """Compress ``parts`` as one message, flushing after each part."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payloads = [compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    payloads[-1] = payloads[-1][:-4]
    return payloads


def compressed_frames(compressor, opcode, data, count=3):
    return fragments(opcode, pieces(compressor.compress(data), count), rsv1=True)


def assert_error(frames, error, code, fails_at, **options):
    assembler = MessageAssembler(**options)
    for frame in frames[:fails_at]:
        assembler.feed(frame)
    with pytest.raises(error) as info:
        assembler.feed(frames[fails_at])
    assert info.value.code == code


# RFC 6455 5.4: fragmentation


def test_single_frames():
    frames = [Frame(TEXT, u"hé".encode("utf-8")), Frame(BINARY, b"\x00\xff"), Frame(TEXT, b"")]
    assert assemble(frames) == [("text", u"hé"), ("binary", b"\x00\xff"), ("text", u"")]


def test_fragmented_text():
    frames = fragments(TEXT, [b"He", b"l", b"", u"lo \u20ac".encode("utf-8")[:-1], b"\xac"])
    assert assemble(frames) == [None, None, None, None, ("text", u"Hello \u20ac")]


def test_fragmented_binary():
    frames = fragments(BINARY, [b"\x01", b"\x02\x03", b"\x04"])
    assert assemble(frames) == [None, None, ("binary", b"\x01\x02\x03\x04")]


def test_messages_in_a_row():
    frames = fragments(TEXT, [b"a", b"b"]) + [Frame(BINARY, b"c")] + fragments(BINARY, [b"d", b"e"])
    assert assemble(frames) == [None, ("text", u"ab"), ("binary", b"c"), None, ("binary", b"de")]


def test_in_progress():
    assembler = MessageAssembler()
    assert not assembler.in_progress
    assembler.feed(Frame(TEXT, b"a", fin=False))
    assert assembler.in_progress
    assembler.feed(Frame(CONTINUATION, b"b"))
    assert not assembler.in_progress


def test_continuation_without_a_message():
    assert_error([Frame(CONTINUATION, b"x")], ProtocolError, 1002, 0)


def test_continuation_after_a_finished_message():
    assert_error([Frame(TEXT, b"x"), Frame(CONTINUATION, b"y")], ProtocolError, 1002, 1)


@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_new_message_during_a_fragmented_one(opcode):
    assert_error([Frame(BINARY, b"x", fin=False), Frame(opcode, b"y")], ProtocolError, 1002, 1)


# Size limit, applied as data arrives


def test_fragments_within_max_size():
    assert assemble(fragments(BINARY, [b"1234", b"5678", b"90"]), max_size=10)[-1] == (
        "binary",
        b"1234567890",
    )


def test_max_size_on_the_fragment_that_crosses_it():
    frames = fragments(BINARY, [b"1234", b"5678", b"901", b"never seen"])
    assert_error(frames, PayloadTooLarge, 1009, 2, max_size=10)


def test_max_size_counts_text_bytes():
    frames = fragments(TEXT, [u"é".encode("utf-8") * 3, b"a", b""])
    assert_error(frames, PayloadTooLarge, 1009, 1, max_size=6)


def test_size_resets_between_messages():
    frames = fragments(BINARY, [b"12345", b"67890"]) * 3
    assert assemble(frames, max_size=10)[-1] == ("binary", b"1234567890")


# RFC 6455 8.1: invalid text fails at the first bad fragment


def test_invalid_utf8_in_a_single_frame():
    assert_error([Frame(TEXT, b"ok\xff")], Utf8Error, 1007, 0)


def test_invalid_utf8_fails_before_the_last_fragment():
    frames = fragments(TEXT, [u"κόσμε".encode("utf-8"), b"\xed", b"\xa0\x80", b"edited"])
    assert_error(frames, Utf8Error, 1007, 2)


def test_text_cut_short_fails_on_the_last_fragment():
    frames = fragments(TEXT, [b"ab\xe2\x82", b""])
    assert_error(frames, Utf8Error, 1007, 1)


def test_binary_is_not_decoded():
    frames = fragments(BINARY, [b"\xff", b"\xed\xa0\x80"])
    assert assemble(frames)[-1] == ("binary", b"\xff\xed\xa0\x80")


# RFC 7692: compressed messages


@pytest.mark.parametrize("count", [1, 2, 5])
def test_compressed_messages(count):
    sender = Deflate()
    text = u"compressible κόσμε " * 50
    frames = compressed_frames(sender, TEXT, text.encode("utf-8"), count)
    frames += compressed_frames(sender, BINARY, b"\x00" * 1000, count)
    frames += compressed_frames(sender, TEXT, text.encode("utf-8"), count)
    frames += [Frame(BINARY, b"plain")]
    events = [event for event in assemble(frames, deflate=Deflate()) if event]
    assert events == [
        ("text", text),
        ("binary", b"\x00" * 1000),
        ("text", text),
        ("binary", b"plain"),
    ]


def test_compressed_empty_message():
    frame = Frame(TEXT, Deflate().compress(b""), rsv1=True)
    assert assemble([frame], deflate=Deflate()) == [("text", u"")]


def test_compressed_message_at_max_size():
    frames = compressed_frames(Deflate(), BINARY, b"z" * 1000)
    assert assemble(frames, deflate=Deflate(), max_size=1000)[-1] == ("binary", b"z" * 1000)


def test_compressed_message_over_max_size():
    frames = compressed_frames(Deflate(), BINARY, b"z" * 1001, count=1)
    assert_error(frames, PayloadTooLarge, 1009, 0, deflate=Deflate(), max_size=1000)


@pytest.mark.parametrize(
    "frames, options",
    [
        (fragments(BINARY, [b"x" * 600, b"y" * 401]), {}),
        (fragments(TEXT, [b"x" * 600, b"y" * 401]), {}),
        (compressed_frames(Deflate(), BINARY, b"z" * 1001, count=1), {"deflate": Deflate()}),
        (compressed_frames(Deflate(), TEXT, b"z" * 1001, count=3), {"deflate": Deflate()}),
        (fragments(BINARY, flushed_parts([b"a" * 600, b"b" * 600]), rsv1=True), {"deflate": Deflate()}),
    ],
    ids=["fragments", "text fragments", "compressed", "compressed fragments", "inflating a later fragment"],
)
def test_one_message_for_the_limit_that_says_it(frames, options):
    assembler = MessageAssembler(max_size=1000, **options)
    with pytest.raises(PayloadTooLarge) as info:
        for frame in frames:
            assembler.feed(frame)
    assert str(info.value) == "message is over the limit of 1000 bytes"
    assert info.value.code == 1009


def test_decompression_bomb():
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    megabyte = b"\x00" * (1024 * 1024)
    bomb = b"".join(compressor.compress(megabyte) for _ in range(100))
    bomb += compressor.flush(zlib.Z_SYNC_FLUSH)[:-4]
    assert len(bomb) < 200 * 1024
    frames = fragments(BINARY, pieces(bomb, 4), rsv1=True)
    assert_error(frames, PayloadTooLarge, 1009, 0, deflate=Deflate(), max_size=1024 * 1024)


def test_bomb_in_a_later_fragment():
    frames = fragments(BINARY, flushed_parts([b"a" * 600, b"b" * 600]), rsv1=True)
    assert_error(frames, PayloadTooLarge, 1009, 1, deflate=Deflate(), max_size=1000)


def test_compressed_text_fails_fast():
    frames = fragments(TEXT, flushed_parts([b"valid", b"\xed\xa0\x80", b"more"]), rsv1=True)
    assert_error(frames, Utf8Error, 1007, 1, deflate=Deflate())


def test_compressed_message_without_deflate():
    assert_error([Frame(TEXT, Deflate().compress(b"x"), rsv1=True)], ProtocolError, 1002, 0)


def test_invalid_deflate_data():
    frames = fragments(BINARY, [b"\xff\xff\xff\xff", b"x"], rsv1=True)
    assert_error(frames, ProtocolError, 1007, 0, deflate=Deflate())


# Memory follows the payload, not the number of fragments

MANY = 20000
SLACK = 64 * 1024  # codec and decoder state, list slack


def retained(assembler):
    """Bytes held by what the assembler refers to (each object once),
    the compression codec aside: a measure that needs no tracemalloc."""
    seen = set()
    total = 0
    names = getattr(assembler, "__slots__", None) or list(vars(assembler))
    pending = [getattr(assembler, name) for name in names if name != "deflate"]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        pending.extend(gc.get_referents(item))
    return total


def traced_growth(assembler, frames):
    """Python memory gained over ``frames`` (None without tracemalloc)."""
    if tracemalloc is None:
        return None
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for frame in frames:
            assert assembler.feed(frame) is None
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def message_data(opcode, size, seed=0):
    """Data that compresses poorly, so that a compressed message still
    comes in about size / fragment size fragments."""
    rng = random.Random(seed)
    if opcode == TEXT:  # random characters of 1 to 4 bytes
        ranges = [(0x20, 0x7E), (0x80, 0x7FF), (0x800, 0xD7FF), (0x10000, 0x10FFFF)]
        points = (rng.randint(*rng.choice(ranges)) for _ in range(size))
        text = b"".join(struct.pack("<I", point) for point in points).decode("utf-32-le")
        return text.encode("utf-8")[:size].decode("utf-8", "ignore").encode("utf-8")
    return bytes(bytearray(rng.getrandbits(8) for _ in range(size)))


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
@pytest.mark.parametrize("size", [0, 1, 2], ids=["empty", "1-byte", "2-byte"])
def test_memory_follows_the_payload(size, opcode, compressed):
    first = message_data(opcode, 600, seed=1)
    data = message_data(opcode, size * MANY)
    if compressed:
        head, body = flushed_parts([first, data])
    else:
        head, body = first, data
    if size:
        pieces = [body[index : index + size] for index in range(0, len(body), size)]
        assert len(pieces) > MANY // 2
    else:
        pieces = [b""] * MANY
    assembler = MessageAssembler(max_size=1024 * 1024, deflate=Deflate() if compressed else None)
    assert assembler.feed(Frame(opcode, head, fin=False, rsv1=compressed)) is None
    middle = (Frame(CONTINUATION, piece, fin=False) for piece in pieces)

    growth = traced_growth(assembler, middle)
    if growth is None:  # Python 2.7: no tracemalloc; retained size only
        for frame in middle:
            assert assembler.feed(frame) is None
    else:
        assert growth < len(data) + SLACK, (growth, len(data))
    assert retained(assembler) < len(first) + len(data) + SLACK
    event = assembler.feed(Frame(CONTINUATION, b"", fin=True))
    if opcode == TEXT:
        assert event.text == (first + data).decode("utf-8")
    else:
        assert event.data == first + data


@pytest.mark.skipif(
    tracemalloc is None,
    reason="tracemalloc is Python 3 only; test_memory_follows_the_payload checks the retained size on every Python",
)
def test_a_session_fed_endless_empty_fragments_stays_small():
    key = make_key(b"k" * 16)
    handshake = Handshake("example.org", 80, "/", key=key)
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count, max_size=1024 * 1024)
    session.start(0.0)
    session.data_to_send()
    head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    head += "Sec-WebSocket-Accept: {}\r\n\r\n".format(accept_key(key))
    assert [event.name for event in session.feed(head.encode("ascii"))] == ["ready"]
    assert session.feed(encode_frame(BINARY, b"start", fin=False)) == []
    empties = encode_frame(CONTINUATION, b"", fin=False) * 32768  # 64 KiB of frames
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2):
            assert session.feed(empties) == []
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < SLACK, growth
    (event,) = session.feed(encode_frame(CONTINUATION, b" end"))
    assert event.data == b"start end"

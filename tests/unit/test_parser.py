import random
import struct

import pytest

from lomond.parser import ParseError, ParseOverflow, Parser, ReadUntil

from .chunks import SPLITS, bytewise, random_chunks
from .memory import attributes


class Records(Parser):
    """A toy protocol: L<line>\\r\\n, N<u16 size><data>, E (error), Q (quit)."""

    def parse(self):
        while True:
            kind = yield 1
            if kind == b"L":
                yield ("line", (yield ReadUntil(b"\r\n", 64)))
            elif kind == b"N":
                (size,) = struct.unpack("!H", (yield 2))
                yield ("data", (yield size))
            elif kind == b"Q":
                yield ("quit", b"")
                return
            else:
                raise ValueError("unknown record {!r}".format(kind))


class SmallRecords(Records):
    buffer_size = 16
    large_read = 32


class Greeter(Parser):
    """Yields results before its first read request."""

    def parse(self):
        yield "hello"
        yield "world"
        yield (yield 3)


class BigThenFail(Parser):
    large_read = 8

    def parse(self):
        yield (yield 10)
        raise ValueError("after the large read")


class BigThenStop(Parser):
    large_read = 8

    def parse(self):
        yield (yield 10)


def random_bytes(seed, size):
    rng = random.Random(seed)
    return bytes(bytearray(rng.getrandbits(8) for _ in range(size)))


def line(text):
    return b"L" + text + b"\r\n"


def blob(data):
    return b"N" + struct.pack("!H", len(data)) + data


def feed_all(parser, chunks):
    results = []
    for chunk in chunks:
        results.extend(parser.feed(chunk))
    return results


def feed_via_buffer(parser, data, sizes):
    """Write ``data`` into get_buffer() memory, ``sizes`` bytes at a time."""
    results = []
    pos = 0
    index = 0
    while pos < len(data):
        space = parser.get_buffer()
        count = min(len(space), sizes[index % len(sizes)], len(data) - pos)
        space[:count] = data[pos : pos + count]
        del space
        results.extend(parser.buffer_updated(count))
        pos += count
        index += 1
    return results


def feed_until_finished(parser, chunks):
    """Feed until the parser finishes; return results and every byte left."""
    results = []
    for index, chunk in enumerate(chunks):
        if parser.is_finished:
            return results, parser.unconsumed() + b"".join(chunks[index:])
        results.extend(parser.feed(chunk))
    return results, parser.unconsumed()


def sample_stream(seed, count=60):
    """Records of mixed kinds and sizes, with the results they give."""
    rng = random.Random(seed)
    data = []
    expected = []
    for _ in range(count):
        if rng.random() < 0.5:
            text = b"x" * rng.randint(0, 40) + b"\r" * rng.randint(0, 2)
            data.append(line(text))
            expected.append(("line", text + b"\r\n"))
        else:
            payload = random_bytes(rng.random(), rng.choice([0, 1, 31, 32, 33, 100, 300]))
            data.append(blob(payload))
            expected.append(("data", payload))
    return b"".join(data), expected


# Exact reads and ReadUntil


@pytest.mark.parametrize("split", SPLITS)
def test_records(split):
    data = line(b"hello") + blob(b"\x00\x01\x02") + blob(b"") + line(b"")
    expected = [
        ("line", b"hello\r\n"),
        ("data", b"\x00\x01\x02"),
        ("data", b""),
        ("line", b"\r\n"),
    ]
    assert feed_all(Records(), split(data)) == expected


@pytest.mark.parametrize("split", SPLITS)
def test_separator_is_not_found_in_a_lone_cr(split):
    data = line(b"a\rb\r\rc")
    assert feed_all(Records(), split(data)) == [("line", b"a\rb\r\rc\r\n")]


def test_separator_split_at_every_position():
    data = line(b"abc") + line(b"de")
    for cut in range(len(data) + 1):
        parser = Records()
        results = parser.feed(data[:cut]) + parser.feed(data[cut:])
        assert results == [("line", b"abc\r\n"), ("line", b"de\r\n")]


@pytest.mark.parametrize("split", SPLITS)
def test_mixed_stream(split):
    data, expected = sample_stream(seed=1)
    assert feed_all(Records(), split(data)) == expected


@pytest.mark.parametrize("sizes", [[1], [3], [7, 13, 1], [16], [64], [5, 40, 2, 17]])
def test_small_buffer_compacts_and_grows(sizes):
    data, expected = sample_stream(seed=2, count=120)
    assert feed_via_buffer(SmallRecords(), data, sizes) == expected


@pytest.mark.parametrize("split", SPLITS)
def test_small_buffer_with_feed(split):
    data, expected = sample_stream(seed=3, count=120)
    assert feed_all(SmallRecords(), split(data)) == expected


def test_empty_feed():
    parser = Records()
    assert parser.feed(b"") == []
    assert parser.is_idle


# ParseOverflow


def test_line_at_the_limit():
    text = b"x" * 62
    assert Records().feed(line(text)) == [("line", text + b"\r\n")]


@pytest.mark.parametrize("split", SPLITS)
def test_overflow_without_separator(split):
    parser = Records()
    assert feed_all(parser, split(line(b"ok") + b"L" + b"x" * 64)) == [("line", b"ok\r\n")]
    assert isinstance(parser.error, ParseOverflow)
    assert parser.is_finished


def test_overflow_can_say_what_was_too_long():
    class Lines(Parser):
        def parse(self):
            yield (yield ReadUntil(b"\n", 8, "line over 8 bytes"))

    for data in [b"x" * 8, b"x" * 8 + b"\n"]:
        parser = Lines()
        assert parser.feed(data) == []
        assert isinstance(parser.error, ParseOverflow)
        assert str(parser.error) == "line over 8 bytes"


def test_overflow_waits_for_the_limit():
    parser = Records()
    parser.feed(b"L" + b"x" * 63)
    assert parser.error is None
    parser.feed(b"x")
    assert isinstance(parser.error, ParseOverflow)


def test_overflow_with_separator_past_the_limit():
    parser = Records()
    assert parser.feed(line(b"x" * 63)) == []
    assert isinstance(parser.error, ParseOverflow)


def test_overflow_with_separator_cut_at_the_limit():
    parser = Records()
    parser.feed(b"L" + b"x" * 63 + b"\r")
    assert isinstance(parser.error, ParseOverflow)


# get_buffer() / buffer_updated()


@pytest.mark.parametrize("sizes", [[1], [2, 9], [4096], [100000]])
def test_buffer_api_matches_feed(sizes):
    data, expected = sample_stream(seed=4)
    data += blob(b"y" * 50000) + line(b"end")
    expected += [("data", b"y" * 50000), ("line", b"end\r\n")]
    assert feed_via_buffer(Records(), data, sizes) == expected
    assert feed_all(Records(), [data]) == expected


def test_buffer_updated_zero():
    parser = Records()
    parser.get_buffer()
    assert parser.buffer_updated(0) == []
    assert parser.feed(line(b"a")) == [("line", b"a\r\n")]


# Large reads


@pytest.mark.parametrize("split", SPLITS)
def test_large_read(split):
    payload = random_bytes(5, 40000)
    data = line(b"a") + blob(payload) + line(b"b")
    expected = [("line", b"a\r\n"), ("data", payload), ("line", b"b\r\n")]
    assert feed_all(Records(), split(data)) == expected


def test_large_read_gets_its_own_buffer():
    parser = Records()
    parser.feed(blob(b"z" * 40000)[:103])
    space = parser.get_buffer()
    assert len(space) == 40000 - 100
    space[:] = b"z" * len(space)
    del space
    assert parser.buffer_updated(40000 - 100) == [("data", b"z" * 40000)]
    assert parser.is_idle


def test_large_read_exactly_at_the_threshold():
    parser = Records()
    parser.feed(b"N" + struct.pack("!H", Records.large_read))
    assert len(parser.get_buffer()) == Records.large_read
    assert not parser.is_idle
    assert parser.feed(b"q" * Records.large_read) == [("data", b"q" * Records.large_read)]


def test_small_read_stays_in_the_receive_buffer():
    parser = Records()
    parser.feed(b"N" + struct.pack("!H", Records.large_read - 1) + b"s")
    assert len(parser.get_buffer()) == Records.buffer_size - 4


def test_error_after_large_read():
    parser = BigThenFail()
    assert parser.feed(b"01234") == []
    assert parser.feed(b"56789") == [b"0123456789"]
    assert isinstance(parser.error, ValueError)
    assert parser.is_finished


def test_generator_ends_after_large_read():
    parser = BigThenStop()
    assert parser.feed(b"01234") == []
    assert parser.feed(b"56789") == [b"0123456789"]
    assert parser.error is None
    assert parser.is_finished


# Memory between items


def held(parser):
    """Bytes of buffer memory the parser keeps (its bytearrays)."""
    buffers = dict((id(value), len(value)) for value in attributes(parser) if isinstance(value, bytearray))
    return sum(buffers.values())


class MarkedRecords(Records):
    """Records that mark their boundaries, as the real parsers do."""

    def parse(self):
        while True:
            self.at_boundary = True
            kind = yield 1
            self.at_boundary = False
            if kind == b"L":
                yield ("line", (yield ReadUntil(b"\r\n", 64)))
            else:
                (size,) = struct.unpack("!H", (yield 2))
                yield ("data", (yield size))


class BigRecords(MarkedRecords):
    buffer_size = 64
    large_read = 100
    keep_large_buffer = 5000


class SmallMarkedRecords(MarkedRecords):
    buffer_size = 16
    large_read = 32


def test_large_reads_in_a_row_share_one_buffer():
    parser = BigRecords()
    payload = random_bytes(9, 4000)
    spares = []
    for _ in range(3):
        assert feed_via_buffer(parser, blob(payload), [10, 1000]) == [("data", payload)]
        spares.append(parser._spare)
    assert spares[0] is not None and spares.count(spares[0]) == 3
    assert held(parser) == 64 + 4000


def test_asking_for_memory_without_using_it_keeps_the_large_buffer():
    parser = BigRecords()
    feed_all(parser, [blob(b"a" * 4000)])
    spare = parser._spare
    for _ in range(3):
        parser.get_buffer()
    assert feed_all(parser, [blob(b"b" * 4000)]) == [("data", b"b" * 4000)]
    assert parser._spare is spare


@pytest.mark.parametrize("split", SPLITS)
def test_a_small_item_after_a_large_one_releases_the_large_buffer(split):
    parser = BigRecords()
    data = blob(b"a" * 4000) + line(b"small") + blob(b"b" * 4000) + blob(b"c" * 3000)
    results = feed_all(parser, split(data[: len(blob(b"a" * 4000)) + len(line(b"small"))]))
    assert results == [("data", b"a" * 4000), ("line", b"small\r\n")]
    assert held(parser) == BigRecords.buffer_size
    results = feed_all(parser, split(data[len(blob(b"a" * 4000)) + len(line(b"small")) :]))
    assert results == [("data", b"b" * 4000), ("data", b"c" * 3000)]


@pytest.mark.parametrize("split", [bytewise, random_chunks])
def test_the_receive_buffer_shrinks_back_after_a_long_item(split):
    parser = SmallMarkedRecords()
    assert feed_all(parser, split(line(b"x" * 60))) == [("line", b"x" * 60 + b"\r\n")]
    assert len(parser._buf) > SmallMarkedRecords.buffer_size
    assert feed_all(parser, split(line(b"a") + line(b"b"))) == [("line", b"a\r\n"), ("line", b"b\r\n")]
    assert held(parser) == SmallMarkedRecords.buffer_size
    assert feed_all(parser, split(line(b"y" * 60) + b"N\x00")) == [("line", b"y" * 60 + b"\r\n")]
    assert feed_all(parser, [b"\x01z", line(b"c")]) == [("data", b"z"), ("line", b"c\r\n")]


# Finishing, errors and unconsumed()


@pytest.mark.parametrize("split", SPLITS)
def test_unconsumed_after_finish(split):
    data = line(b"a") + b"Q" + b"trailing bytes"
    results, rest = feed_until_finished(Records(), split(data))
    assert results == [("line", b"a\r\n"), ("quit", b"")]
    assert rest == b"trailing bytes"


@pytest.mark.parametrize("split", SPLITS)
def test_unconsumed_beyond_a_small_buffer(split):
    trailing = bytes(bytearray(range(256))) * 3
    results, rest = feed_until_finished(SmallRecords(), split(line(b"a") + b"Q" + trailing))
    assert results == [("line", b"a\r\n"), ("quit", b"")]
    assert rest == trailing


def test_unconsumed_in_one_feed_past_the_buffer():
    parser = SmallRecords()
    trailing = b"t" * 100
    assert parser.feed(b"Q" + trailing) == [("quit", b"")]
    assert parser.unconsumed() == trailing
    assert parser.unconsumed() == b""


def test_unconsumed_of_an_unfinished_parser():
    parser = Records()
    parser.feed(b"Labc")
    assert parser.unconsumed() == b"abc"


def test_feeding_after_finish_raises():
    parser = Records()
    parser.feed(b"Q")
    assert parser.is_finished
    assert parser.feed(b"") == []
    with pytest.raises(ParseError):
        parser.feed(b"x")
    with pytest.raises(ParseError):
        parser.get_buffer()


@pytest.mark.parametrize("split", SPLITS)
def test_error_keeps_earlier_results(split):
    parser = Records()
    results, rest = feed_until_finished(parser, split(line(b"a") + blob(b"b") + b"?" + line(b"c")))
    assert results == [("line", b"a\r\n"), ("data", b"b")]
    assert isinstance(parser.error, ValueError)
    assert rest == line(b"c")


def test_feeding_after_error_raises():
    parser = Records()
    parser.feed(b"?")
    assert parser.is_finished
    with pytest.raises(ParseError):
        parser.feed(b"L")


def test_is_idle():
    parser = Records()
    assert parser.is_idle and not parser.is_finished
    parser.feed(b"Lx")
    assert not parser.is_idle
    parser.feed(b"\r\n")
    assert parser.is_idle
    parser.feed(blob(b"y" * 40000)[:10])
    assert not parser.is_idle


def test_results_before_the_first_request():
    parser = Greeter()
    assert parser.feed(b"ab") == ["hello", "world"]
    assert parser.feed(b"c") == [b"abc"]


def test_results_before_the_first_request_via_buffer():
    parser = Greeter()
    assert parser.buffer_updated(0) == ["hello", "world"]


def test_base_parser_has_no_parse():
    with pytest.raises(NotImplementedError):
        Parser()


def test_read_until_repr():
    assert repr(ReadUntil(b"\r\n", 10)) == "ReadUntil({!r}, 10)".format(b"\r\n")


# Linear work


class Headers(Parser):
    buffer_size = 2 * 1024 * 1024

    def parse(self):
        yield (yield ReadUntil(b"\r\n\r\n", self.buffer_size))


class CountingBuffer(bytearray):
    """A receive buffer that counts the bytes its find() examines."""

    scanned = 0

    def find(self, sep, start, end):
        CountingBuffer.scanned += end - start
        return bytearray.find(self, sep, start, end)


@pytest.mark.parametrize(
    "size, split", [(64 * 1024, bytewise), (1024 * 1024, random_chunks)]
)
def test_read_until_never_rescans(size, split):
    data = b"x" * (size - 4) + b"\r\n\r\n"
    parser = Headers()
    parser._buf = CountingBuffer(parser._buf)
    parser._view = memoryview(parser._buf)
    CountingBuffer.scanned = 0
    results = []
    chunks = split(data)
    for chunk in chunks:
        assert not results
        results.extend(parser.feed(chunk))
    assert results == [data]
    assert CountingBuffer.scanned <= len(data) + 3 * len(chunks)


def test_scan_position_advances():
    parser = Headers()
    for count in range(1, 100):
        parser.feed(b"x")
        assert parser._scan == max(0, count - 3)


def test_buffer_too_small_to_compact_is_refused():
    class Tiny(Parser):
        buffer_size = 4

        def parse(self):
            yield 1

    with pytest.raises(ValueError):
        Tiny()


def test_parser_that_asks_for_nothing_is_finished():
    class Empty(Parser):
        def parse(self):
            return
            yield  # pragma: no cover

    parser = Empty()
    assert parser.is_finished
    assert parser.feed(b"") == []


def test_close_breaks_the_cycle_with_the_generator():
    import gc
    import weakref

    class Two(Parser):
        def parse(self):
            while True:
                yield (yield 2)

    enabled = gc.isenabled()
    gc.disable()
    try:
        parser = Two()
        parser.feed(b"abc")
        ref = weakref.ref(parser)
        parser.close()
        del parser
        assert ref() is None
    finally:
        if enabled:
            gc.enable()


# A receive buffer shared by the parsers of one thread


def stream_of_records(seed):
    rng = random.Random(seed)
    parts = []
    for _ in range(200):
        kind = rng.choice("LNN")
        if kind == "L":
            parts.append(b"L" + bytes(bytearray(rng.randint(97, 122) for _ in range(rng.randint(0, 40)))) + b"\r\n")
        else:
            parts.append(blob(random_bytes(rng.randint(0, 10 ** 6), rng.choice([0, 5, 300, 5000]))))
    return b"".join(parts)


@pytest.mark.parametrize("sizes", [[1], [7, 100, 3], [4096], [50000]])
def test_parsers_sharing_a_buffer_parse_as_on_their_own(sizes):
    """Two parsers take turns with one receive buffer, in pieces of every
    size: each sees exactly what a parser with its own buffer sees."""
    scratch = bytearray(8192)
    first, second = stream_of_records(1), stream_of_records(2)
    shared = [BigRecords(scratch), BigRecords(scratch)]
    results = [[], []]
    positions = [0, 0]
    turn = 0
    while positions[0] < len(first) or positions[1] < len(second):
        data = (first, second)[turn]
        if positions[turn] < len(data):
            space = shared[turn].get_buffer()
            count = min(len(space), sizes[positions[turn] % len(sizes)], len(data) - positions[turn])
            space[:count] = data[positions[turn] : positions[turn] + count]
            del space
            results[turn].extend(shared[turn].buffer_updated(count))
            positions[turn] += count
        turn = 1 - turn
    assert results[0] == feed_all(BigRecords(), [first])
    assert results[1] == feed_all(BigRecords(), [second])
    assert all(parser.error is None for parser in shared)


def owned_buffers(parser, scratch):
    return [value for value in attributes(parser) if isinstance(value, bytearray) and value is not scratch]


def test_an_idle_parser_holds_no_buffer_of_its_own():
    scratch = bytearray(4096)
    parser = BigRecords(scratch)
    assert feed_via_buffer(parser, blob(b"whole") + b"Lline\r\n", [4096]) == [("data", b"whole"), ("line", b"line\r\n")]
    assert owned_buffers(parser, scratch) == []
    # The start of the next record is kept, in memory sized to it.
    assert feed_via_buffer(parser, b"N\x00\x05ab", [4096]) == []
    owned = owned_buffers(parser, scratch)
    assert len(owned) == 1 and len(owned[0]) <= max(10, Parser.own_buffer_size)
    assert feed_via_buffer(parser, b"cde", [4096]) == [("data", b"abcde")]
    assert owned_buffers(parser, scratch) == []
    assert parser.unconsumed() == b""


def test_feed_with_a_shared_buffer():
    parser = BigRecords(bytearray(16))
    data = stream_of_records(3)
    assert feed_all(parser, [data[: len(data) // 2], data[len(data) // 2 :]]) == feed_all(BigRecords(), [data])

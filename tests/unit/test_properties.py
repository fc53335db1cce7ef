"""Properties of the sans-IO core, for arbitrary input split anywhere.

The examples are the same on every run (derandomize) and none is carried
over from an earlier run or from another Python's hypothesis (no example
database): CI passes or fails on the code, never on the draw. Set
LOMOND_HYPOTHESIS_EXPLORE=1 to draw new examples at random, with the
database, when hunting for new failures.
"""

import os
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lomond import events
from lomond.compression import Deflate, PerMessageDeflate
from lomond.errors import Utf8Error
from lomond.frame import Frame
from lomond.frame_parser import FrameParser
from lomond.handshake import Handshake, accept_key, make_key
from lomond.opcode import Opcode
from lomond.session import WebsocketSession
from lomond.status import is_valid_close_code
from lomond.utf8 import Utf8Decoder, decode_utf8

_DRAW = {} if os.environ.get("LOMOND_HYPOTHESIS_EXPLORE") else {"derandomize": True, "database": None}
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], **_DRAW)
KEY = make_key(b"p" * 16)


def split(data, cuts):
    """``data`` cut at the given positions (any order, any duplicates)."""
    points = sorted(set(cut % (len(data) + 1) for cut in cuts))
    pieces = []
    last = 0
    for point in points + [len(data)]:
        pieces.append(data[last:point])
        last = point
    return [piece for piece in pieces if piece]


cut_lists = st.lists(st.integers(min_value=0, max_value=10 ** 6), max_size=12)


# -- Frames -------------------------------------------------------------------

data_frames = st.builds(
    Frame,
    opcode=st.sampled_from([Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY]),
    payload=st.binary(max_size=70000),
    fin=st.booleans(),
    rsv1=st.booleans(),
)
control_frames = st.builds(
    Frame,
    opcode=st.sampled_from([Opcode.CLOSE, Opcode.PING, Opcode.PONG]),
    payload=st.binary(max_size=125),
)


@QUICK
@given(frames=st.lists(st.one_of(data_frames, control_frames), max_size=6), mask_key=st.binary(min_size=4, max_size=4), cuts=cut_lists)
def test_frames_round_trip_in_both_roles(frames, mask_key, cuts):
    frames = [frame for frame in frames if not (frame.rsv1 and frame.opcode == Opcode.CONTINUATION)]
    for server_role, key in ((False, None), (True, mask_key)):
        data = b"".join(frame.to_bytes(mask_key=key) for frame in frames)
        parser = FrameParser(rsv1=True, server_role=server_role)
        parsed = []
        for piece in split(data, cuts):
            parsed.extend(parser.feed(piece))
        assert parser.error is None
        assert parsed == frames


@QUICK
@given(data=st.binary(max_size=400), cuts=cut_lists, max_size=st.one_of(st.none(), st.integers(0, 300)), rsv1=st.booleans())
def test_frame_parser_outcome_does_not_depend_on_the_split(data, cuts, max_size, rsv1):
    whole = FrameParser(max_size=max_size, rsv1=rsv1)
    expected = whole.feed(data)
    pieces = FrameParser(max_size=max_size, rsv1=rsv1)
    got = []
    for piece in split(data, cuts):
        if pieces.is_finished:
            break
        got.extend(pieces.feed(piece))
    assert got == expected
    assert repr(pieces.error) == repr(whole.error)


# -- The session ------------------------------------------------------------------


def response(extensions=None):
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: " + accept_key(KEY),
    ]
    if extensions:
        lines.append("Sec-WebSocket-Extensions: " + extensions)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def run_session(data, cuts, ticks, compress, max_size):
    handshake = Handshake("h", 80, "/", key=KEY, compression=PerMessageDeflate() if compress else None)
    session = WebsocketSession(handshake, lambda count: b"\x00" * count, max_size=max_size, close_timeout=5.0)
    session.start(0.0)
    session.data_to_send()
    collected = list(session.feed(response("permessage-deflate" if compress else None)))
    sent = b""
    now = 0.0
    for index, piece in enumerate(split(data, cuts)):
        if index < len(ticks):
            now += ticks[index]
            collected.extend(session.tick(now))
        collected.extend(session.feed(piece))
        sent += session.data_to_send()
    collected.extend(session.tick(now))
    collected.extend(session.feed(b""))
    sent += session.data_to_send()
    return session, collected, sent


def _encode_piece(piece):
    if isinstance(piece, Frame):
        return piece.to_bytes()
    return piece


small_data_frames = st.builds(
    Frame,
    opcode=st.sampled_from([Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY]),
    payload=st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda text: text.encode("utf-8"))),
    fin=st.booleans(),
    rsv1=st.booleans(),
)
close_frames = st.builds(
    Frame,
    opcode=st.just(Opcode.CLOSE),
    payload=st.one_of(st.just(b""), st.binary(min_size=2, max_size=20), st.sampled_from([b"\x03\xe8bye", b"\x03\xe9", b"\x0f\xa0\xff"])),
)
#: Mostly valid frames, sometimes corrupted by a few stray bytes.
streams = st.lists(
    st.one_of(small_data_frames, small_data_frames, control_frames, close_frames, st.binary(min_size=1, max_size=3)),
    max_size=10,
).map(lambda pieces: b"".join(_encode_piece(piece) for piece in pieces))


@QUICK
@given(
    data=st.one_of(st.binary(max_size=600), streams),
    cuts=cut_lists,
    ticks=st.lists(st.floats(min_value=0, max_value=3), max_size=5),
    compress=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 500)),
)
def test_session_never_raises_and_ends_once(data, cuts, ticks, compress, max_size):
    session, collected, sent = run_session(data, cuts, ticks, compress, max_size)
    assert session.is_finished
    assert all(isinstance(event, events.Event) for event in collected)
    assert [event.name for event in collected].count("disconnected") == 1
    assert collected[-1].name == "disconnected"
    parser = FrameParser(rsv1=compress, server_role=True)
    for frame in parser.feed(sent):
        if frame.opcode == Opcode.CLOSE and frame.payload:
            assert len(frame.payload) <= 125
            code = (bytearray(frame.payload)[0] << 8) | bytearray(frame.payload)[1]
            assert is_valid_close_code(code)
            decode_utf8(frame.payload[2:])
    assert parser.error is None


@QUICK
@given(data=st.one_of(st.binary(max_size=600), streams), cuts=cut_lists, compress=st.booleans())
def test_session_events_do_not_depend_on_the_split(data, cuts, compress):
    _, whole, sent_whole = run_session(data, [], [], compress, 1000)
    _, pieces, sent_pieces = run_session(data, cuts, [], compress, 1000)
    assert [event.name for event in pieces] == [event.name for event in whole]
    assert sent_pieces == sent_whole


# -- permessage-deflate --------------------------------------------------------------

messages = st.lists(
    st.one_of(st.binary(max_size=3000), st.text(max_size=500).map(lambda text: text.encode("utf-8") * 3)),
    max_size=8,
)


@QUICK
@given(
    messages=messages,
    bits=st.integers(9, 15),
    sender_resets=st.booleans(),
    level=st.integers(-1, 9),
    cuts=cut_lists,
)
def test_deflate_round_trip(messages, bits, sender_resets, level, cuts):
    sender = Deflate(compress_wbits=bits, reset_compress=sender_resets, level=level)
    receiver = Deflate(decompress_wbits=bits, reset_decompress=sender_resets)
    for message in messages:
        compressed = sender.compress(message)
        inflated = b"".join(receiver.decompress(piece, None) for piece in split(compressed, cuts))
        inflated += receiver.finish(None)
        assert inflated == message


@QUICK
@given(message=st.binary(min_size=1, max_size=5000), limit=st.integers(0, 5000))
def test_deflate_limit_is_exact(message, limit):
    payload = Deflate().compress(message)
    receiver = Deflate()
    inflated = receiver.decompress(payload, limit)
    if len(inflated) <= limit:
        inflated += receiver.finish(limit - len(inflated))
    if len(inflated) > limit:  # cut one byte past the limit
        assert len(message) > limit and inflated == message[: limit + 1]
    else:
        assert inflated == message


def test_raw_deflate_helpers_agree_with_zlib():
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(b"abc" * 100) + compressor.flush(zlib.Z_SYNC_FLUSH)
    receiver = Deflate()
    assert receiver.decompress(data[:-4], None) + receiver.finish(None) == b"abc" * 100


# -- UTF-8 ------------------------------------------------------------------------------


#: Encoded surrogates, overlongs and out-of-range sequences.
bad_sequences = st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80"])
utf8_inputs = st.lists(
    st.one_of(st.binary(max_size=8), st.text(max_size=8).map(lambda text: text.encode("utf-8")), bad_sequences),
    max_size=8,
).map(b"".join)


@QUICK
@given(data=utf8_inputs, cuts=cut_lists)
def test_utf8_pieces_agree_with_one_shot(data, cuts):
    try:
        expected = decode_utf8(data)
    except Utf8Error:
        expected = None
    decoder = Utf8Decoder()
    pieces = split(data, cuts)
    try:
        text = u"".join(decoder.decode(piece) for piece in pieces) + decoder.decode(b"", final=True)
    except Utf8Error:
        text = None
    assert text == expected


@QUICK
@given(
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CLOSE, Opcode.PING, Opcode.PONG]),
    payload=st.binary(max_size=70000),
    mask_key=st.binary(min_size=4, max_size=4),
    rsv1=st.booleans(),
)
def test_client_frame_shortcut_matches_encode_frame(opcode, payload, mask_key, rsv1):
    from lomond.frame import encode_client_frame, encode_frame

    assert encode_client_frame(opcode, payload, mask_key, rsv1) == encode_frame(opcode, payload, rsv1=rsv1, mask_key=mask_key)


@QUICK
@given(messages=messages, bits=st.integers(9, 15), resets=st.booleans(), limit=st.one_of(st.none(), st.integers(0, 4000)))
def test_whole_message_inflate_matches_piecewise(messages, bits, resets, limit):
    sender = Deflate(compress_wbits=bits, reset_compress=resets)
    whole = Deflate(decompress_wbits=bits, reset_decompress=resets)
    pieces = Deflate(decompress_wbits=bits, reset_decompress=resets)
    for message in messages:
        payload = sender.compress(message)
        outcomes = [whole.decompress_message(payload, limit)]
        piecewise = pieces.decompress(payload, limit)
        if limit is None or len(piecewise) <= limit:
            piecewise += pieces.finish(None if limit is None else limit - len(piecewise))
        outcomes.append(piecewise)
        outcomes = ["too large" if limit is not None and len(output) > limit else output for output in outcomes]
        assert outcomes[0] == outcomes[1]
        if outcomes[0] == "too large":
            break

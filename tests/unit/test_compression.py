import random
import zlib

import pytest

from lomond.compression import Deflate, PerMessageDeflate, ServerDeflate, read_parameters
from lomond.errors import CompressionParameterError, ProtocolError
from lomond.extension import parse_extensions
from lomond.handshake import Handshake, accept_key, make_key
from lomond.session import WebsocketSession

TAIL = b"\x00\x00\xff\xff"


def text_sample(seed, size=2000):
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"\x00\xff", b" "]
    data = b"".join(rng.choice(words) for _ in range(size))
    return data[:size]


def settings(deflate):
    return (
        deflate.decompress_wbits,
        deflate.compress_wbits,
        deflate.reset_decompress,
        deflate.reset_compress,
    )


def inflate(receiver, payload, limit=None):
    return receiver.decompress(payload, limit) + receiver.finish(limit)


def server_message(data, wbits=15, end=zlib.Z_SYNC_FLUSH):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    payload = compressor.compress(data) + compressor.flush(end)
    return payload[:-4] if payload.endswith(TAIL) else payload


# RFC 7692 7.1: the offer


@pytest.mark.parametrize(
    "options, offer",
    [
        ({}, "permessage-deflate; client_max_window_bits, permessage-deflate"),
        ({"fallback": False}, "permessage-deflate; client_max_window_bits"),
        (
            {"server_no_context_takeover": True},
            "permessage-deflate; server_no_context_takeover; client_max_window_bits,"
            " permessage-deflate",
        ),
        (
            {"client_no_context_takeover": True, "fallback": False},
            "permessage-deflate; client_no_context_takeover; client_max_window_bits",
        ),
        (
            {"server_max_window_bits": 10, "fallback": False},
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
        ),
        (
            {"client_max_window_bits": 9, "fallback": False},
            "permessage-deflate; client_max_window_bits=9",
        ),
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 8,
                "client_max_window_bits": 15,
            },
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover;"
            " server_max_window_bits=8; client_max_window_bits=15, permessage-deflate",
        ),
        (
            {"level": 9, "mem_level": 1, "fallback": False},
            "permessage-deflate; client_max_window_bits",
        ),
    ],
)
def test_offer(options, offer):
    assert PerMessageDeflate(**options).offer() == offer


@pytest.mark.parametrize(
    "options",
    [
        {"server_max_window_bits": 7},
        {"server_max_window_bits": 16},
        {"server_max_window_bits": "10"},
        {"client_max_window_bits": 7},
        {"client_max_window_bits": 16},
        {"level": 10},
        {"level": -2},
        {"mem_level": 0},
        {"mem_level": 10},
    ],
)
def test_constructor_validation(options):
    with pytest.raises(ValueError):
        PerMessageDeflate(**options)


def test_repr():
    assert repr(PerMessageDeflate(server_max_window_bits=9)) == (
        "PerMessageDeflate(server_no_context_takeover=False, client_no_context_takeover=False,"
        " server_max_window_bits=9, client_max_window_bits=None, level=-1, mem_level=8)"
    )
    assert repr(Deflate(9, 10, True, False)) == (
        "Deflate(decompress_wbits=9, compress_wbits=10,"
        " reset_decompress=True, reset_compress=False)"
    )


# RFC 7692 7.1: the answer


@pytest.mark.parametrize(
    "options, params, expected",
    [
        ({}, [], (15, 15, False, False)),
        ({}, [("server_no_context_takeover", None)], (15, 15, True, False)),
        ({}, [("client_no_context_takeover", None)], (15, 15, False, True)),
        ({"client_no_context_takeover": True}, [], (15, 15, False, True)),
        ({"client_max_window_bits": 10}, [], (15, 10, False, False)),
        ({"client_max_window_bits": 10}, [("client_max_window_bits", "9")], (15, 9, False, False)),
        (
            {"client_max_window_bits": 10},
            [("client_max_window_bits", "10")],
            (15, 10, False, False),
        ),
        (
            {},
            [
                ("server_no_context_takeover", None),
                ("client_no_context_takeover", None),
                ("server_max_window_bits", "12"),
                ("client_max_window_bits", "11"),
            ],
            (12, 11, True, True),
        ),
    ]
    + [
        ({}, [("server_max_window_bits", str(bits))], (bits, 15, False, False))
        for bits in range(8, 16)
    ]
    + [
        ({}, [("client_max_window_bits", str(bits))], (15, bits, False, False))
        for bits in range(8, 16)
    ],
)
def test_accept(options, params, expected):
    assert settings(PerMessageDeflate(**options).accept(params)) == expected


def test_accept_passes_level_and_mem_level():
    deflate = PerMessageDeflate(level=3, mem_level=4).accept([])
    assert (deflate.level, deflate.mem_level) == (3, 4)


@pytest.mark.parametrize(
    "params",
    [
        [("unknown", None)],
        [("server_max_window_bits", "10"), ("x", "1")],
        [("server_no_context_takeover", None), ("server_no_context_takeover", None)],
        [("server_max_window_bits", "10"), ("server_max_window_bits", "10")],
        [("server_no_context_takeover", "1")],
        [("client_no_context_takeover", "")],
        [("server_max_window_bits", None)],
        [("client_max_window_bits", None)],
        [("server_max_window_bits", "7")],
        [("server_max_window_bits", "16")],
        [("client_max_window_bits", "7")],
        [("client_max_window_bits", "16")],
        [("server_max_window_bits", "09")],
        [("client_max_window_bits", "08")],
        [("server_max_window_bits", "ten")],
        [("server_max_window_bits", "")],
        [("server_max_window_bits", "1e1")],
        [("server_max_window_bits", " 9")],
    ],
)
def test_accept_rejects(params):
    with pytest.raises(CompressionParameterError):
        PerMessageDeflate().accept(params)


def test_client_window_larger_than_offered():
    with pytest.raises(CompressionParameterError):
        PerMessageDeflate(client_max_window_bits=10).accept([("client_max_window_bits", "11")])


# RFC 7692 7.1.2: window sizes in the answer, against the offers made.
# The first offer always carries client_max_window_bits, the fallback
# offer nothing: an answer that names client_max_window_bits can only
# answer the first offer, and must then fit all of it.

WINDOW_ANSWERS = [
    # A server may limit its own window even if not asked to (7.1.2.1).
    ({}, "server_max_window_bits=9", None),
    ({"fallback": False}, "server_max_window_bits=15", None),
    ({"client_max_window_bits": 12}, "server_max_window_bits=8", None),
    # ... but when asked, to the value offered or less.
    ({"server_max_window_bits": 10, "fallback": False}, "server_max_window_bits=10", None),
    ({"server_max_window_bits": 10, "fallback": False}, "server_max_window_bits=8", None),
    ({"server_max_window_bits": 10, "fallback": False}, "", None),
    (
        {"server_max_window_bits": 10, "fallback": False},
        "server_max_window_bits=11",
        "server_max_window_bits=11 is over the 10 offered",
    ),
    (
        {"server_max_window_bits": 10, "client_max_window_bits": 9, "fallback": False},
        "server_max_window_bits=15; client_max_window_bits=9",
        "server_max_window_bits=15 is over the 10 offered",
    ),
    # With the fallback, a larger window answers the plain offer ...
    ({"server_max_window_bits": 10}, "server_max_window_bits=11", None),
    # ... unless client_max_window_bits ties the answer to the first offer.
    (
        {"server_max_window_bits": 10},
        "server_max_window_bits=11; client_max_window_bits=15",
        "server_max_window_bits=11 is over the 10 offered",
    ),
    ({"server_max_window_bits": 10}, "server_max_window_bits=9; client_max_window_bits=15", None),
    # client_max_window_bits: offered with no value, any; with one, up to it.
    ({}, "client_max_window_bits=15", None),
    ({"fallback": False}, "client_max_window_bits=8", None),
    ({"client_max_window_bits": 10}, "client_max_window_bits=10", None),
    (
        {"client_max_window_bits": 10},
        "client_max_window_bits=11",
        "client_max_window_bits=11 is over the 10 offered",
    ),
    (
        {"client_max_window_bits": 10, "fallback": False},
        "client_max_window_bits=15",
        "client_max_window_bits=15 is over the 10 offered",
    ),
]


def answer_session(options, params):
    """A session that offered PerMessageDeflate(**options), fed the answer
    ``permessage-deflate; <params>`` as bytes; returns its events."""
    key = make_key(b"c" * 16)
    handshake = Handshake("example.org", 80, "/", key=key, compression=PerMessageDeflate(**options))
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count)
    session.start(0.0)
    session.data_to_send()
    extension = "permessage-deflate" + ("; " + params if params else "")
    head = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Extensions: {}\r\n\r\n"
    ).format(accept_key(key), extension)
    return session, session.feed(head.encode("ascii"))


@pytest.mark.parametrize("options, params, error", WINDOW_ANSWERS)
def test_window_bits_in_the_answer(options, params, error):
    session, received = answer_session(options, params)
    if error is None:
        assert [event.name for event in received] == ["ready"]
        assert session.deflate is not None
    else:
        assert [event.name for event in received] == ["rejected", "disconnected"]
        assert received[0].reason == error
        with pytest.raises(CompressionParameterError) as info:
            PerMessageDeflate(**options).accept(parse_extensions("permessage-deflate; " + params)[0][1])
        assert str(info.value) == error


def test_every_first_offer_carries_client_max_window_bits():
    # So no answer breaks RFC 7692 7.1.2.2 by naming it alone: naming it
    # picks the first offer, whose other parameters then apply.
    for fallback in (True, False):
        for bits in (None, 8, 15):
            for server_bits in (None, 10):
                offer = PerMessageDeflate(
                    client_max_window_bits=bits, server_max_window_bits=server_bits, fallback=fallback
                ).offer()
                first = parse_extensions(offer)[0][1]
                assert ("client_max_window_bits", None if bits is None else str(bits)) in first
                assert [name for name, _params in parse_extensions(offer)] == ["permessage-deflate"] * (
                    2 if fallback else 1
                )
                if fallback:
                    assert parse_extensions(offer)[1][1] == []


# The codec


def test_round_trip_with_context_takeover():
    sender, receiver = Deflate(), Deflate()
    message = text_sample(1)
    sizes = []
    for _ in range(3):
        payload = sender.compress(message)
        sizes.append(len(payload))
        assert inflate(receiver, payload) == message
    assert sizes[1] < sizes[0] / 4


def test_compressor_reset():
    sender = Deflate(reset_compress=True)
    receiver = Deflate()
    message = text_sample(2)
    payloads = [sender.compress(message) for _ in range(3)]
    assert payloads[0] == payloads[1] == payloads[2]
    assert [inflate(receiver, payload) for payload in payloads] == [message] * 3


def test_decompressor_reset():
    receiver = Deflate(reset_decompress=True)
    message = text_sample(3)
    for _ in range(3):
        assert inflate(receiver, server_message(message)) == message


def test_decompressor_reset_forgets_the_context():
    sender = Deflate()
    receiver = Deflate(reset_decompress=True)
    message = text_sample(4)
    assert inflate(receiver, sender.compress(message)) == message
    with pytest.raises(ProtocolError) as info:
        inflate(receiver, sender.compress(message))
    assert info.value.code == 1007


@pytest.mark.parametrize("bits", range(9, 16))
def test_compress_window_sizes(bits):
    sender = Deflate(compress_wbits=bits)
    assert sender.can_compress
    peer = zlib.decompressobj(-bits)
    message = text_sample(bits, size=70000)
    for _ in range(2):
        assert peer.decompress(sender.compress(message) + TAIL) == message


@pytest.mark.parametrize("bits", range(8, 16))
def test_decompress_window_sizes(bits):
    receiver = Deflate(decompress_wbits=bits)
    message = b"abcdefgh" * 40 + text_sample(bits, size=200)
    for _ in range(2):
        assert inflate(receiver, server_message(message, wbits=max(bits, 9))) == message


def test_window_of_8_cannot_compress():
    assert not Deflate(compress_wbits=8).can_compress


@pytest.mark.parametrize("reset", [False, True])
def test_empty_message(reset):
    sender, receiver = Deflate(reset_compress=reset), Deflate(reset_decompress=reset)
    for message in [b"", b"x", b""]:
        assert inflate(receiver, sender.compress(message)) == message


@pytest.mark.parametrize("size", [1, 7, 100])
def test_fragmented_input(size):
    receiver = Deflate()
    message = text_sample(5)
    for _ in range(2):
        payload = server_message(message)
        pieces = [payload[index : index + size] for index in range(0, len(payload), size)]
        output = b"".join(receiver.decompress(piece, None) for piece in pieces)
        assert output + receiver.finish(None) == message


def test_compress_removes_the_tail():
    payload = Deflate().compress(b"hello")
    assert not payload.endswith(TAIL)
    assert zlib.decompressobj(-15).decompress(payload + TAIL) == b"hello"


def test_finish_inflates_the_tail():
    receiver = Deflate()
    assert receiver.decompress(server_message(b"hello"), None) == b"hello"
    assert receiver.finish(None) == b""
    assert receiver.finish(0) == b""


def test_finish_before_decompress():
    assert Deflate().finish(None) == b""


@pytest.mark.parametrize("reset", [False, True])
def test_message_after_a_final_block(reset):
    receiver = Deflate(reset_decompress=reset)
    for index in range(3):
        message = text_sample(index, size=300)
        assert inflate(receiver, server_message(message, end=zlib.Z_FINISH)) == message
        assert inflate(receiver, server_message(message)) == message


def test_decompression_limit():
    payload = server_message(b"q" * 1000)
    assert inflate(Deflate(), payload, limit=1000) == b"q" * 1000
    # One byte past the limit tells the caller the message is over it.
    assert Deflate().decompress(payload, 999) == b"q" * 1000
    assert Deflate().decompress(payload, 10) == b"q" * 11


def test_decompression_limit_stops_early():
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = b"".join(compressor.compress(b"\x00" * 1024 * 1024) for _ in range(20))
    bomb += compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(Deflate().decompress(bomb, 1024)) == 1025
    assert len(Deflate().decompress_message(bomb, 0)) == 1


def cut_stored_block():
    """A stored block missing 4 bytes, which the tail then supplies."""
    compressor = zlib.compressobj(0, zlib.DEFLATED, -15)
    payload = compressor.compress(b"abcdefgh") + compressor.flush(zlib.Z_SYNC_FLUSH)
    return payload[: payload.index(b"abcdefgh") + 4]


def test_finish_output():
    receiver = Deflate()
    assert receiver.decompress(cut_stored_block(), None) == b"abcd"
    assert receiver.finish(None) == TAIL


def test_finish_limit():
    receiver = Deflate()
    assert receiver.decompress(cut_stored_block(), 4) == b"abcd"
    assert receiver.finish(3) == TAIL
    receiver = Deflate()
    receiver.decompress(cut_stored_block(), 4)
    assert receiver.finish(2) == TAIL[:3]


def test_invalid_data():
    with pytest.raises(ProtocolError) as info:
        Deflate().decompress(b"\xff\xfe\xfd", None)
    assert info.value.code == 1007
    with pytest.raises(ProtocolError):
        Deflate().decompress(b"\xff\xfe\xfd", 100)


# -- The server's role ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params, offer, expected",
    [
        ([], False, {}),
        ([("server_no_context_takeover", None)], False, {"server_no_context_takeover": True}),
        ([("server_max_window_bits", "10")], False, {"server_max_window_bits": 10}),
        ([("client_max_window_bits", None)], True, {"client_max_window_bits": None}),
        ([("client_max_window_bits", "9")], True, {"client_max_window_bits": 9}),
    ],
)
def test_read_parameters(params, offer, expected):
    assert read_parameters(params, offer=offer) == expected


@pytest.mark.parametrize(
    "params, offer",
    [
        ([("client_max_window_bits", None)], False),  # an answer needs the value
        ([("server_max_window_bits", None)], True),  # so does the server's window, always
        ([("server_max_window_bits", "08")], True),
        ([("server_no_context_takeover", "1")], True),
        ([("x", None)], True),
        ([("client_no_context_takeover", None), ("client_no_context_takeover", None)], True),
    ],
)
def test_read_parameters_refuses(params, offer):
    with pytest.raises(CompressionParameterError):
        read_parameters(params, offer=offer)


@pytest.mark.parametrize(
    "server, offer, answer",
    [
        (ServerDeflate(), "permessage-deflate", "permessage-deflate"),
        (ServerDeflate(), "permessage-deflate; client_max_window_bits", "permessage-deflate"),
        (
            ServerDeflate(server_max_window_bits=12),
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            ServerDeflate(client_max_window_bits=9),
            "permessage-deflate; client_max_window_bits=12",
            "permessage-deflate; client_max_window_bits=9",
        ),
        # A limit on the client's window needs an offer that allows it:
        # the first offer is declined, the second accepted.
        (
            ServerDeflate(client_max_window_bits=9),
            "permessage-deflate, permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=9",
        ),
        (ServerDeflate(client_max_window_bits=9), "permessage-deflate", None),
        # An offer the server can't read is declined, not an error.
        (ServerDeflate(), "permessage-deflate; x=1, permessage-deflate", "permessage-deflate"),
        (ServerDeflate(), "x-webkit-deflate-frame", None),
        (
            ServerDeflate(client_no_context_takeover=True),
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
    ],
)
def test_server_answers(server, offer, answer):
    header, codec = server.negotiate(offer)
    assert header == answer
    assert (codec is None) == (answer is None)


@pytest.mark.parametrize(
    "client",
    [
        PerMessageDeflate(),
        PerMessageDeflate(client_no_context_takeover=True, server_max_window_bits=10, client_max_window_bits=11),
        PerMessageDeflate(server_no_context_takeover=True, fallback=False),
    ],
)
@pytest.mark.parametrize(
    "server",
    [ServerDeflate(), ServerDeflate(server_max_window_bits=9, client_max_window_bits=10), ServerDeflate(True, True)],
)
def test_both_roles_agree(client, server):
    """The client's offer, the server's answer and the client's check
    of it, then messages both ways through the two codecs."""
    header, server_codec = server.negotiate(client.offer())
    ((name, params),) = parse_extensions(header)
    client_codec = client.accept(params)
    for index in range(3):
        text = (u"message %d " % index * 50).encode("utf-8")
        assert server_codec.decompress_message(client_codec.compress(text), None) == text
        assert client_codec.decompress_message(server_codec.compress(text), None) == text

"""permessage-deflate against our own server with every setting, a strict
server and a compression bomb (the independent peers are in
test_compression_peers.py)."""

import json
import random

import pytest

from lomond.compression import PerMessageDeflate
from lomond.testing import ServerDeflate, WebSocketServer, echo

from .drivers import exchange


_MIXED = {}


def mixed_messages(seed, count=300):
    """Compressible JSON-like text and incompressible random binary (made
    once for each seed and count: it takes a good part of a second)."""
    if (seed, count) not in _MIXED:
        _MIXED[seed, count] = _make_mixed_messages(seed, count)
    return _MIXED[seed, count]


def _make_mixed_messages(seed, count):
    rng = random.Random(seed)
    messages = [u"", b""]
    for index in range(count):
        if index % 2:
            records = [{"id": n, "symbol": "BTC-USD", "price": rng.randint(1, 99999)} for n in range(rng.randint(1, 200))]
            messages.append(json.dumps(records))
        else:
            messages.append(bytes(bytearray(rng.randint(0, 255) for _ in range(rng.randint(1, 3000)))))
    return messages


def echo_all(driver, url, messages, compress):
    websocket, events, echoed = exchange(driver, url, messages, compress=compress)
    assert websocket.supports_compression
    assert events[-1].graceful, events[-1]
    return echoed


CLIENT_OPTIONS = [
    True,
    PerMessageDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
    PerMessageDeflate(server_max_window_bits=10, client_max_window_bits=11, level=9, mem_level=9),
    PerMessageDeflate(level=1, mem_level=1),
]


# -- Lomond's own server (every window size, takeover both ways) ----------------

OWN_SERVER = [
    ServerDeflate(),
    ServerDeflate(server_no_context_takeover=True, client_no_context_takeover=True),
    ServerDeflate(server_max_window_bits=8, client_max_window_bits=8),
    ServerDeflate(server_max_window_bits=9, client_max_window_bits=15),
    ServerDeflate(server_max_window_bits=15, client_max_window_bits=9),
]


@pytest.mark.parametrize("deflate", OWN_SERVER, ids=[str(i) for i in range(len(OWN_SERVER))])
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=[str(i) for i in range(len(CLIENT_OPTIONS))])
def test_own_server(driver, deflate, compress):
    messages = mixed_messages(1, count=60)
    with WebSocketServer(echo, deflate=deflate) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


class PlainOnly(ServerDeflate):
    """A strict server that declines every offer with parameters."""

    def negotiate(self, offer_header):
        from lomond.extension import parse_extensions

        plain = [name for name, params in parse_extensions(offer_header) if not params]
        if not plain:
            return None, None
        return super(PlainOnly, self).negotiate(plain[0])


@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=[str(i) for i in range(len(CLIENT_OPTIONS))])
def test_strict_server_takes_the_fallback_offer(driver, compress):
    messages = mixed_messages(4, count=20)
    with WebSocketServer(echo, deflate=PlainOnly()) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


@pytest.fixture(scope="module")
def bomb():
    """256 MiB of zeros, deflated to about 250 KiB (made once: it takes a
    second or two)."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * (1024 * 1024)
    deflated = b"".join(compressor.compress(zeros) for _ in range(256))
    return deflated + compressor.flush(zlib.Z_SYNC_FLUSH)[:-4]


def test_compression_bomb_is_refused_without_inflating_it(driver, bomb):
    from lomond.frame import encode_frame
    from lomond.opcode import Opcode

    got = {}

    def handler(conn):
        conn.send_raw(encode_frame(Opcode.BINARY, bomb, rsv1=True))
        got["close"] = conn.recv_frame()

    with WebSocketServer(handler) as server:
        events = driver.run(driver.WebSocket(server.url, compress=True, max_size=1024 * 1024))
    errors = [event for event in events if event.name == "protocol_error"]
    assert len(bomb) < 300 * 1024
    assert errors and "limit" in errors[0].error
    assert got["close"].payload[:2] == b"\x03\xf1"  # 1009
    assert not [event for event in events if event.name == "binary"]

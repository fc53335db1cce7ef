"""Write the seed corpus (fuzz/corpus/<target>/) from readable descriptions.

    python3 fuzz/seeds.py

Each seed is a plan (see targets.py) written in the layout a
FuzzedDataProvider reads: the integers, in the order the target asks for
them, from the *end* of the input backwards, and the byte stream at the
front. After writing a seed the plan is read back with atheris' own
provider and compared, so a change to the layout can't silently turn the
corpus into noise.
"""

import os
import shutil
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import targets  # noqa: E402
from targets import EARLY_CLOSES, MAX_SIZES, PARSER_BUFFER_SIZES, PARSER_LARGE_READS  # noqa: E402
from targets import SEPARATORS, TIMER_CHOICES, WINDOW_BITS, Plan  # noqa: E402

from lomond.frame import encode_frame  # noqa: E402
from lomond.opcode import Opcode  # noqa: E402

TEXT, BINARY, CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION
CLOSE, PING, PONG = Opcode.CLOSE, Opcode.PING, Opcode.PONG


class Encoder(object):
    """The inverse of a FuzzedDataProvider, for the calls the targets make."""

    def __init__(self):
        self.front = bytearray()
        self.back = []  # bytes in the order the provider consumes them

    def int_in_range(self, low, high, value):
        assert low <= value <= high, (low, high, value)
        offset = value - low
        size = ((high - low).bit_length() + 7) // 8
        # The provider reads the first byte it consumes as the most
        # significant one.
        for shift in reversed(range(size)):
            self.back.append((offset >> (8 * shift)) & 0xFF)

    def pick(self, options, value):
        self.int_in_range(0, len(options) - 1, options.index(value))

    def rest(self, data):
        self.front += data

    def getvalue(self):
        return bytes(self.front) + bytes(bytearray(reversed(self.back)))


def encode_ops(encoder, ops, largest):
    encoder.int_in_range(0, targets.MAX_OPS, len(ops))
    for size, how in ops:
        encoder.int_in_range(0, largest, size)
        encoder.int_in_range(0, 255, how)


def encode_response(plan):
    encoder = Encoder()
    encoder.int_in_range(0, 3, plan.protocols)
    encoder.int_in_range(0, 3, plan.compress)
    encode_ops(encoder, plan.ops, 4095)
    encoder.rest(plan.data)
    return encoder.getvalue()


def encode_session(plan):
    encoder = Encoder()
    encoder.int_in_range(0, 1, plan.compress)
    encoder.int_in_range(0, 1, plan.offer_server_no_context)
    encoder.int_in_range(0, 1, plan.offer_client_no_context)
    encoder.pick(WINDOW_BITS, plan.offer_server_bits)
    encoder.pick(WINDOW_BITS, plan.offer_client_bits)
    encoder.int_in_range(0, 1, plan.answer_server_no_context)
    encoder.int_in_range(0, 1, plan.answer_client_no_context)
    encoder.pick(WINDOW_BITS, plan.answer_server_bits)
    encoder.pick(WINDOW_BITS, plan.answer_client_bits)
    encoder.pick(MAX_SIZES, plan.max_size)
    encoder.pick(TIMER_CHOICES, plan.poll)
    encoder.pick(TIMER_CHOICES, plan.ping_rate)
    encoder.pick(TIMER_CHOICES, plan.ping_timeout)
    encoder.pick(TIMER_CHOICES, plan.close_timeout)
    encoder.int_in_range(0, 1, plan.auto_pong)
    encoder.int_in_range(0, len(EARLY_CLOSES) - 1, plan.early_close)
    encoder.int_in_range(0, 1, plan.coalesce)
    encode_ops(encoder, plan.ops, 65535)
    encoder.rest(plan.data)
    return encoder.getvalue()


def encode_parser(plan):
    encoder = Encoder()
    encoder.pick(PARSER_BUFFER_SIZES, plan.buffer_size)
    encoder.pick(PARSER_LARGE_READS, plan.large_read)
    encoder.int_in_range(0, 32, len(plan.requests))
    for request in plan.requests:
        if isinstance(request, tuple):
            sep, limit = request
            kind = 128 + (SEPARATORS.index(sep) - 128) % len(SEPARATORS)
            assert kind % len(SEPARATORS) == SEPARATORS.index(sep)
            encoder.int_in_range(0, 255, kind)
            encoder.int_in_range(1, 300, limit)
        else:
            encoder.int_in_range(0, 255, request)
    encode_ops(encoder, plan.ops, 511)
    encoder.rest(plan.data)
    return encoder.getvalue()


# -- Building blocks -------------------------------------------------------------


def frame(opcode, payload=b"", fin=True, rsv1=False):
    return encode_frame(opcode, payload, fin=fin, rsv1=rsv1)


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Compressor(object):
    """permessage-deflate as a server sends it (RFC 7692 7.2.1)."""

    def __init__(self, wbits=15, reset=False):
        self.wbits = wbits
        self.reset = reset
        self._zlib = None

    def message(self, data):
        if self._zlib is None or self.reset:
            self._zlib = zlib.compressobj(6, zlib.DEFLATED, -self.wbits)
        body = self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        assert body.endswith(b"\x00\x00\xff\xff")
        return body[:-4]


def session_plan(data, **choices):
    fields = dict(
        compress=0,
        offer_server_no_context=0,
        offer_client_no_context=0,
        offer_server_bits=None,
        offer_client_bits=None,
        answer_server_no_context=0,
        answer_client_no_context=0,
        answer_server_bits=None,
        answer_client_bits=None,
        max_size=65536,
        poll=None,
        ping_rate=None,
        ping_timeout=None,
        close_timeout=30.0,
        auto_pong=1,
        early_close=0,
        coalesce=0,
        ops=[],
        data=data,
    )
    fields.update(choices)
    return Plan(**fields)


def tick(seconds):
    """An op that only ticks, ``seconds`` (a multiple of 0.5) later."""
    return (0, 2 | (int(seconds * 2) << 2))


def even_ops(data_length, size, use_buffer=False):
    """Ops cutting a stream (response included) into ``size`` pieces."""
    count = min(targets.MAX_OPS, (data_length + size - 1) // size)
    return [(size, 1 if use_buffer else 0)] * count


RESPONSE_LENGTH = len(targets.upgrade_response())


def session_seeds():
    hello = frame(TEXT, b"hello")
    utf8 = u"na\u00efve \u20ac \U0001f600".encode("utf-8")
    seeds = {}
    seeds["text"] = session_plan(hello)
    seeds["text-utf8-bytewise"] = session_plan(
        frame(TEXT, utf8), ops=[(1, index & 1) for index in range(RESPONSE_LENGTH + 14, RESPONSE_LENGTH + 14 + 20)]
    )
    seeds["binary-16bit-length"] = session_plan(frame(BINARY, bytes(bytearray(range(256))) + b"\xff" * 44))
    seeds["binary-large-read"] = session_plan(
        frame(BINARY, b"\x01\x02\x03\x04" * 8500), max_size=1 << 20, ops=even_ops(RESPONSE_LENGTH + 34004, 4096, True)
    )
    seeds["binary-64bit-length-small"] = session_plan(b"\x82\x7f" + struct.pack("!Q", 5) + b"12345")
    seeds["empty-messages"] = session_plan(frame(TEXT) + frame(BINARY) + frame(PING) + frame(PONG))
    seeds["ping-pong"] = session_plan(frame(PING, b"are you there?") + frame(PONG, b"unsolicited"))
    seeds["ping-no-autopong"] = session_plan(frame(PING, b"p"), auto_pong=0)
    seeds["fragmented-text"] = session_plan(
        frame(TEXT, utf8[:6], fin=False)
        + frame(PING, b"in between")
        + frame(CONT, utf8[6:9], fin=False)
        + frame(CONT, b"", fin=False)
        + frame(CONT, utf8[9:])
        + hello,
        ops=[(RESPONSE_LENGTH + 3, 0), (5, 1), (9, 0), (2, 1)],
    )
    seeds["fragmented-binary"] = session_plan(
        frame(BINARY, b"a" * 200, fin=False) + frame(CONT, b"b" * 200, fin=False) + frame(CONT, b"c")
    )
    seeds["close-with-reason"] = session_plan(frame(CLOSE, close_payload(1000, u"bye \u00e9".encode("utf-8"))))
    seeds["close-no-payload"] = session_plan(frame(CLOSE))
    seeds["close-4999-then-data"] = session_plan(frame(CLOSE, close_payload(4999)) + hello)
    seeds["close-1-byte"] = session_plan(frame(CLOSE, b"\x03"))
    seeds["close-invalid-code"] = session_plan(frame(CLOSE, close_payload(1005)))
    seeds["close-bad-utf8-reason"] = session_plan(frame(CLOSE, close_payload(1000, b"\xff\xfe")))
    seeds["close-max-reason"] = session_plan(frame(CLOSE, close_payload(3000, b"r" * 123)))
    seeds["client-close-echoed"] = session_plan(
        frame(TEXT, b"late") + frame(CLOSE, close_payload(1000)), early_close=2, ops=[tick(1)]
    )
    seeds["client-close-timeout"] = session_plan(
        frame(TEXT, b"x"), early_close=3, close_timeout=2.0, ops=[(RESPONSE_LENGTH, 0), tick(1), tick(2)]
    )
    seeds["client-close-long-reason"] = session_plan(b"", early_close=4, ops=[(RESPONSE_LENGTH, 1)])
    seeds["ping-timeout"] = session_plan(
        b"", poll=0.5, ping_rate=0.5, ping_timeout=2.0, ops=[(RESPONSE_LENGTH, 0), tick(0.5), tick(1), tick(2)]
    )
    seeds["ping-answered"] = session_plan(
        frame(PONG) + hello,
        poll=2.0,
        ping_rate=0.5,
        ping_timeout=2.0,
        ops=[(RESPONSE_LENGTH, 0), tick(1), (2, 0), tick(1.5), (7, 0), tick(10)],
    )
    seeds["grace-after-close"] = session_plan(
        frame(CLOSE, close_payload(1001)), ops=[(RESPONSE_LENGTH + 4, 0), tick(1), tick(5)]
    )
    seeds["coalesced-with-response"] = session_plan(hello + frame(CLOSE, close_payload(1000)), coalesce=1)

    # Compression.
    plain = Compressor()
    text = u"compress me, compress me, compress me \u00e9\u00e9\u00e9".encode("utf-8")
    seeds["deflate-text"] = session_plan(frame(TEXT, plain.message(text), rsv1=True), compress=1)
    context = Compressor()
    seeds["deflate-context-takeover"] = session_plan(
        frame(TEXT, context.message(text), rsv1=True)
        + frame(BINARY, context.message(text), rsv1=True)
        + frame(BINARY, b"not compressed"),
        compress=1,
    )
    reset = Compressor(wbits=10, reset=True)
    body = reset.message(b"fragmented and compressed " * 20)
    seeds["deflate-fragmented-no-context"] = session_plan(
        frame(TEXT, body[:10], fin=False, rsv1=True)
        + frame(PING, b"!")
        + frame(CONT, body[10:20], fin=False)
        + frame(CONT, body[20:])
        + frame(TEXT, reset.message(b"again"), rsv1=True),
        compress=1,
        offer_server_no_context=1,
        offer_server_bits=10,
        answer_server_bits=10,
        answer_client_no_context=1,
        answer_client_bits=9,
        offer_client_bits=12,
    )
    seeds["deflate-window-8"] = session_plan(
        frame(BINARY, Compressor(wbits=9).message(b"abc" * 50), rsv1=True),
        compress=1,
        answer_server_bits=9,
        answer_client_bits=8,
    )
    seeds["deflate-bomb"] = session_plan(
        frame(BINARY, Compressor().message(b"\0" * 200000), rsv1=True), compress=1, max_size=65536
    )
    seeds["deflate-invalid-data"] = session_plan(frame(TEXT, b"\xff\xff\xff\xff", rsv1=True), compress=1)
    seeds["deflate-bad-utf8"] = session_plan(frame(TEXT, Compressor().message(b"\xc3\x28"), rsv1=True), compress=1)
    seeds["deflate-empty-message"] = session_plan(frame(TEXT, b"\x00", rsv1=True), compress=1)

    # Protocol errors.
    seeds["bad-reserved-opcode"] = session_plan(frame(3, b"x") + hello)
    seeds["bad-rsv2"] = session_plan(b"\xa1\x01x")
    seeds["bad-rsv1-no-deflate"] = session_plan(frame(TEXT, b"x", rsv1=True))
    seeds["bad-rsv1-on-continuation"] = session_plan(
        frame(TEXT, b"a", fin=False) + frame(CONT, b"b", rsv1=True), compress=1
    )
    seeds["bad-masked-frame"] = session_plan(encode_frame(TEXT, b"hi", mask_key=b"abcd"))
    seeds["bad-fragmented-control"] = session_plan(frame(PING, b"p", fin=False))
    seeds["bad-long-control"] = session_plan(frame(PING, b"p" * 126))
    seeds["bad-continuation-first"] = session_plan(frame(CONT, b"x"))
    seeds["bad-interleaved-message"] = session_plan(frame(TEXT, b"a", fin=False) + hello + frame(CLOSE))
    seeds["bad-utf8-text"] = session_plan(frame(TEXT, b"ok \xed\xa0\x80"))
    seeds["bad-utf8-fragment"] = session_plan(frame(TEXT, b"\xf4", fin=False) + frame(CONT, b"\x90\x80\x80"))
    seeds["bad-too-large"] = session_plan(frame(BINARY, b"z" * 200), max_size=125)
    seeds["bad-64bit-msb"] = session_plan(b"\x82\x7f\x80" + b"\0" * 7)
    seeds["truncated-frame"] = session_plan(frame(BINARY, b"q" * 300)[:150])
    seeds["max-size-zero"] = session_plan(frame(TEXT) + frame(TEXT, b"a"), max_size=0)
    return seeds


def response_seeds():
    accept = targets.ACCEPT
    base = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: " + accept,
    ]

    def head(lines, body=b""):
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    seeds = {}
    seeds["ok"] = Plan(protocols=0, compress=0, ops=[], data=head(base))
    seeds["ok-bytewise"] = Plan(protocols=0, compress=0, ops=[(1, 0)] * 64, data=head(base))
    seeds["ok-with-frames"] = Plan(protocols=0, compress=0, ops=[(40, 1), (100, 0)], data=head(base, b"\x81\x02hi\x88\x00"))
    seeds["protocol"] = Plan(protocols=2, compress=0, ops=[], data=head(base + ["Sec-WebSocket-Protocol: superchat"]))
    seeds["protocol-not-offered"] = Plan(protocols=1, compress=0, ops=[], data=head(base + ["Sec-WebSocket-Protocol: v2.json"]))
    seeds["protocol-two"] = Plan(protocols=2, compress=0, ops=[], data=head(base + ["Sec-WebSocket-Protocol: chat, superchat"]))
    seeds["deflate"] = Plan(
        protocols=0,
        compress=1,
        ops=[],
        data=head(base + ["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits=12"]),
    )
    seeds["deflate-quoted"] = Plan(
        protocols=0,
        compress=2,
        ops=[],
        data=head(base + ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits="9"; server_no_context_takeover']),
    )
    seeds["deflate-bad-params"] = Plan(
        protocols=0,
        compress=3,
        ops=[],
        data=head(base + ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=08, x-other"]),
    )
    seeds["deflate-twice"] = Plan(
        protocols=0,
        compress=1,
        ops=[],
        data=head(base + ["Sec-WebSocket-Extensions: permessage-deflate", "Sec-WebSocket-Extensions: permessage-deflate"]),
    )
    seeds["extension-not-offered"] = Plan(
        protocols=0, compress=0, ops=[], data=head(base + ["Sec-WebSocket-Extensions: permessage-deflate"])
    )
    seeds["connection-list"] = Plan(
        protocols=0,
        compress=0,
        ops=[],
        data=head(["HTTP/1.1 101 OK", "upgrade:  WebSocket ", "connection: keep-alive, upgrade", "sec-websocket-accept: " + accept]),
    )
    seeds["folded-header"] = Plan(
        protocols=0, compress=0, ops=[], data=head(base[:3] + ["Sec-WebSocket-Accept:", " " + accept, "X-Folded: a", "\tb"])
    )
    seeds["wrong-accept"] = Plan(protocols=0, compress=0, ops=[], data=head(base[:3] + ["Sec-WebSocket-Accept: " + accept.lower()]))
    seeds["no-upgrade"] = Plan(protocols=0, compress=0, ops=[], data=head([base[0], base[2], base[3]]))
    seeds["forbidden"] = Plan(
        protocols=0, compress=0, ops=[(20, 0)], data=head(["HTTP/1.1 403 Forbidden", "Content-Length: 5"], b"nope!")
    )
    seeds["retry-after"] = Plan(
        protocols=0,
        compress=0,
        ops=[],
        data=head(["HTTP/1.1 503 Service Unavailable", "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT", "Content-Length: 0"]),
    )
    seeds["redirect"] = Plan(
        protocols=0, compress=0, ops=[], data=head(["HTTP/1.1 301 Moved Permanently", "Location: ws://other.example/x"])
    )
    seeds["http10-no-reason"] = Plan(protocols=0, compress=0, ops=[], data=head(["HTTP/1.0 101"] + base[1:]))
    seeds["not-http"] = Plan(protocols=0, compress=0, ops=[], data=b"SSH-2.0-OpenSSH_9.0\r\n\r\n")
    seeds["bad-header-line"] = Plan(protocols=0, compress=0, ops=[], data=head(base + ["no colon here", "Bad Name: x"]))
    seeds["folded-first"] = Plan(protocols=0, compress=0, ops=[], data=head([base[0], " folded"] + base[1:]))
    seeds["many-headers"] = Plan(
        protocols=0, compress=0, ops=[], data=head(base + ["X-H{}: {}".format(index, index) for index in range(100)])
    )
    seeds["latin1-and-nul"] = Plan(protocols=0, compress=0, ops=[], data=head(base + [u"X-Caf\u00e9: \x00\xff"]))
    seeds["truncated"] = Plan(protocols=0, compress=0, ops=[], data=head(base)[:-3])
    seeds["lf-only"] = Plan(protocols=0, compress=0, ops=[], data=b"\n".join(line.encode() for line in base) + b"\n\n")
    return seeds


def parser_seeds():
    seeds = {}
    http = b"HTTP/1.1 101 OK\r\nA: b\r\n\r\n"
    seeds["head-then-exact"] = Plan(
        buffer_size=64 * 1024, large_read=32 * 1024, requests=[(b"\r\n\r\n", 100), 2, 3], ops=[], data=http + b"\x81\x03abc"
    )
    seeds["lines-small-buffer"] = Plan(
        buffer_size=8,
        large_read=33,
        requests=[(b"\r\n", 40)] * 4 + [10, (b"\n", 3)],
        ops=[(3, 0), (5, 1), (2, 0), (7, 1), (1, 0)] * 4,
        data=b"one\r\ntwo\r\nthree\r\nfour\r\n0123456789ab\n",
    )
    seeds["large-reads"] = Plan(
        buffer_size=16,
        large_read=7,
        requests=[20, 0, 7, (b"ab", 30), 64, 1],
        ops=[(5, 1), (5, 0), (1, 1), (50, 1), (3, 0)],
        data=bytes(bytearray(range(48))) + b"xxab" + b"y" * 70,
    )
    seeds["overflow"] = Plan(buffer_size=9, large_read=3, requests=[(b"\r\n\r\n", 6)], ops=[(4, 0)], data=b"abcd\r\n\r\n")
    seeds["overflow-no-sep"] = Plan(buffer_size=100, large_read=16, requests=[5, (b"aab", 10)], ops=[], data=b"12345" + b"a" * 20)
    seeds["split-separator"] = Plan(
        buffer_size=17,
        large_read=1,
        requests=[(b"\x00\x00\xff\xff", 300), (b"aab", 20), 3],
        ops=[(1, 1)] * 40,
        data=b"deflate\x00\x00\xff\x00\x00\xff\xffaaaab!!!rest",
    )
    seeds["done-with-leftover"] = Plan(buffer_size=4096, large_read=2, requests=[1, 1], ops=[(1, 1), (1, 0)], data=b"abcdef")
    return seeds


def write(target, seeds, encode, read_plan):
    from atheris import FuzzedDataProvider

    folder = os.path.join(HERE, "corpus", target)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    check = targets.TARGETS[target]
    for name, plan in sorted(seeds.items()):
        data = encode(plan)
        again = read_plan(FuzzedDataProvider(data))
        assert again == plan, "seed {}/{} reads back as\n{!r}\nnot\n{!r}".format(target, name, again, plan)
        check(data)  # every seed must pass the target's checks
        with open(os.path.join(folder, name), "wb") as stream:
            stream.write(data)
    print("{}: {} seeds".format(target, len(seeds)))


def main():
    write("response", response_seeds(), encode_response, targets.read_response_plan)
    write("session", session_seeds(), encode_session, targets.read_session_plan)
    write("parser", parser_seeds(), encode_parser, targets.read_parser_plan)


if __name__ == "__main__":
    main()

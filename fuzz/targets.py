"""The fuzz targets, and the invariants each one checks.

Every target is a function of one ``bytes`` argument (the fuzzer's input).
It turns the input into a *plan* with a FuzzedDataProvider (ints from the
end of the input, the byte stream from the front, as libFuzzer's own
provider does), runs the code under test according to the plan, and raises
AssertionError when an invariant breaks. Any other exception escaping the
library is a crash as well: the sans-IO layer promises never to raise
because of what a peer sent.

``seeds.py`` writes inputs in the same layout, and checks that reading them
back gives the plan it meant, so the two files change together.

Targets:

``response``
    :class:`lomond.response.ResponseParser` and :meth:`Handshake.validate`
    on arbitrary bytes, fed whole and in fuzzer-chosen pieces, and the same
    bytes through a session that is still CONNECTING.
``session``
    A :class:`lomond.session.WebsocketSession` after a valid 101 (with
    fuzzer-chosen permessage-deflate parameters, limits and timers), fed
    the fuzzer's bytes in fuzzer-chosen pieces, with ``tick()`` calls in
    between.
``parser``
    :class:`lomond.parser.Parser` running a fuzzer-chosen program of exact
    reads and ``ReadUntil`` requests, checked against a simple model that
    works on the whole input at once.
"""

import os

from lomond import events
from lomond.compression import PerMessageDeflate
from lomond.constants import DEFAULT_MAX_SIZE, MAX_CONTROL_PAYLOAD
from lomond.errors import HandshakeError
from lomond.frame_parser import FrameParser
from lomond.handshake import Handshake, accept_key
from lomond.opcode import Opcode
from lomond.parser import ParseError, ParseOverflow, Parser, ReadUntil
from lomond.response import ResponseParser, split_list
from lomond.session import WebsocketSession
from lomond.status import is_valid_close_code

#: The Sec-WebSocket-Key every fuzzed handshake uses (16 bytes, base64).
KEY = b"bG9tb25kLWZ1enota2V5IQ=="
ACCEPT = accept_key(KEY)

#: Set LOMOND_FUZZ_UNLIMITED=1 to let the session target pick
#: ``max_size=None``. It is off by default because of a known finding: with
#: no limit, an 11-byte frame header makes the client allocate the whole
#: declared length up front (see README.rst and crashes/).
ALLOW_UNLIMITED = os.environ.get("LOMOND_FUZZ_UNLIMITED") == "1"

MAX_SIZES = [0, 1, 2, 125, 126, 1000, 65535, 65536, 1 << 20, DEFAULT_MAX_SIZE]
if ALLOW_UNLIMITED:
    MAX_SIZES.append(None)

#: Choices for poll, ping_rate, ping_timeout and close_timeout (seconds).
TIMER_CHOICES = [None, 0.5, 2.0, 30.0]

#: What the application does before the handshake completes:
#: None, or the (code, reason) it closes with (sent once the session opens).
EARLY_CLOSES = [
    None,
    (1000, b""),
    (4000, u"\u00e9t\u00e9 fini"),
    (1001, "x" * 200),
    (3000, u"\u20ac" * 50),
]

#: Window-bits choices: None, or 8 to 15.
WINDOW_BITS = [None, 8, 9, 10, 11, 12, 13, 14, 15]

#: Separators the parser target's ReadUntil requests may look for.
SEPARATORS = [b"\n", b"\r\n", b"\r\n\r\n", b"ab", b"aab", b"\x00\x00\xff\xff"]
PARSER_BUFFER_SIZES = [8, 9, 16, 17, 64, 100, 4096, 64 * 1024]
PARSER_LARGE_READS = [1, 2, 3, 7, 16, 33, 32 * 1024]

#: Most pieces a plan splits the input into.
MAX_OPS = 64


class Plan(object):
    """A bag of named choices; equal when all choices are equal."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __eq__(self, other):
        return isinstance(other, Plan) and self.__dict__ == other.__dict__

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Plan({})".format(
            ", ".join("{}={!r}".format(key, value) for key, value in sorted(self.__dict__.items()))
        )


# -- Reading plans ---------------------------------------------------------
#
# The order of the calls below *is* the input format: seeds.py writes the
# same values in the same order.


def read_ops(fdp, max_size):
    """A list of ``(size, how)`` pieces: ``how`` is a byte of flags."""
    count = fdp.ConsumeIntInRange(0, MAX_OPS)
    ops = []
    for _ in range(count):
        size = fdp.ConsumeIntInRange(0, max_size)
        how = fdp.ConsumeIntInRange(0, 255)
        ops.append((size, how))
    return ops


def read_response_plan(fdp):
    return Plan(
        protocols=fdp.ConsumeIntInRange(0, 3),
        compress=fdp.ConsumeIntInRange(0, 3),
        ops=read_ops(fdp, 4095),
        data=fdp.ConsumeBytes(fdp.remaining_bytes()),
    )


def read_session_plan(fdp):
    return Plan(
        compress=fdp.ConsumeIntInRange(0, 1),
        offer_server_no_context=fdp.ConsumeIntInRange(0, 1),
        offer_client_no_context=fdp.ConsumeIntInRange(0, 1),
        offer_server_bits=fdp.PickValueInList(WINDOW_BITS),
        offer_client_bits=fdp.PickValueInList(WINDOW_BITS),
        answer_server_no_context=fdp.ConsumeIntInRange(0, 1),
        answer_client_no_context=fdp.ConsumeIntInRange(0, 1),
        answer_server_bits=fdp.PickValueInList(WINDOW_BITS),
        answer_client_bits=fdp.PickValueInList(WINDOW_BITS),
        max_size=fdp.PickValueInList(MAX_SIZES),
        poll=fdp.PickValueInList(TIMER_CHOICES),
        ping_rate=fdp.PickValueInList(TIMER_CHOICES),
        ping_timeout=fdp.PickValueInList(TIMER_CHOICES),
        close_timeout=fdp.PickValueInList(TIMER_CHOICES),
        auto_pong=fdp.ConsumeIntInRange(0, 1),
        early_close=fdp.ConsumeIntInRange(0, len(EARLY_CLOSES) - 1),
        coalesce=fdp.ConsumeIntInRange(0, 1),
        ops=read_ops(fdp, 65535),
        data=fdp.ConsumeBytes(fdp.remaining_bytes()),
    )


def read_parser_plan(fdp):
    buffer_size = fdp.PickValueInList(PARSER_BUFFER_SIZES)
    large_read = fdp.PickValueInList(PARSER_LARGE_READS)
    request_count = fdp.ConsumeIntInRange(0, 32)
    requests = []
    for _ in range(request_count):
        kind = fdp.ConsumeIntInRange(0, 255)
        if kind < 128:
            requests.append(kind)  # an exact read of 0 to 127 bytes
        else:
            sep = SEPARATORS[kind % len(SEPARATORS)]
            limit = fdp.ConsumeIntInRange(1, 300)
            requests.append((sep, limit))
    return Plan(
        buffer_size=buffer_size,
        large_read=large_read,
        requests=requests,
        ops=read_ops(fdp, 511),
        data=fdp.ConsumeBytes(fdp.remaining_bytes()),
    )


# -- Helpers -----------------------------------------------------------------


def split(data, ops):
    """The pieces of ``data`` that ``ops`` cut, as ``(piece, how)`` pairs.

    A piece may be empty (a step that only ticks); whatever the ops leave
    over is the last piece.
    """
    pieces = []
    pos = 0
    for size, how in ops:
        pieces.append((data[pos : pos + size], how))
        pos += size
    if pos < len(data):
        pieces.append((data[pos:], 0))
    return pieces


def deliver(target, piece, use_buffer):
    """Give ``piece`` (not empty) to a parser or session; return results.

    ``use_buffer`` takes the zero-copy path (get_buffer/buffer_updated),
    which is how the socket loop feeds the session; otherwise ``feed``.
    """
    if not use_buffer:
        return target.feed(piece)
    results = []
    pos = 0
    while pos < len(piece):
        space = target.get_buffer()
        count = min(len(space), len(piece) - pos)
        assert count > 0, "get_buffer() returned no room"
        space[:count] = piece[pos : pos + count]
        del space
        results.extend(target.buffer_updated(count))
        pos += count
        if getattr(target, "is_finished", False):
            break
    return results


def deflate_offer(plan):
    return PerMessageDeflate(
        server_no_context_takeover=bool(plan.offer_server_no_context),
        client_no_context_takeover=bool(plan.offer_client_no_context),
        server_max_window_bits=plan.offer_server_bits,
        client_max_window_bits=plan.offer_client_bits,
    )


def deflate_answer(plan):
    """A Sec-WebSocket-Extensions answer that the offer must accept."""
    params = []
    if plan.answer_server_no_context or plan.offer_server_no_context:
        params.append("server_no_context_takeover")
    if plan.answer_client_no_context:
        params.append("client_no_context_takeover")
    server_bits = plan.answer_server_bits
    if plan.offer_server_bits is not None and server_bits is not None:
        server_bits = min(server_bits, plan.offer_server_bits)
    if server_bits is not None:
        params.append("server_max_window_bits={}".format(server_bits))
    client_bits = plan.answer_client_bits
    if plan.offer_client_bits is not None and client_bits is not None:
        client_bits = min(client_bits, plan.offer_client_bits)
    if client_bits is not None:
        params.append("client_max_window_bits={}".format(client_bits))
    return "; ".join(["permessage-deflate"] + params)


def upgrade_response(extensions=None):
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: " + ACCEPT,
    ]
    if extensions is not None:
        lines.append("Sec-WebSocket-Extensions: " + extensions)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def signature(event):
    """What must not depend on how the bytes were split."""
    name = event.name
    if name == "text":
        return (name, event.text)
    if name in ("binary", "ping", "pong"):
        return (name, event.data)
    if name in ("closing", "closed"):
        return (name, event.code, event.reason)
    if name == "protocol_error":
        return (name, event.error, event.critical)
    if name == "disconnected":
        return (name, event.reason, event.graceful)
    if name == "ready":
        return (name, event.protocol, sorted(event.extensions))
    if name == "rejected":
        return (name, event.reason)
    return (name,)


def _message_size(event):
    if event.name == "text":
        return len(event.text.encode("utf-8"))
    return len(event.data)


# -- The session target --------------------------------------------------------


class SessionRun(object):
    """Drive one session and check every call's output as it comes."""

    def __init__(self, plan, compress):
        self.plan = plan
        handshake = Handshake(
            "fuzz.example",
            80,
            "/",
            key=KEY,
            compression=deflate_offer(plan) if compress else None,
        )
        self.session = WebsocketSession(
            handshake,
            random_bytes=lambda count: b"\x5a" * count,
            max_size=plan.max_size,
            auto_pong=bool(plan.auto_pong),
            poll=plan.poll,
            ping_rate=plan.ping_rate,
            ping_timeout=plan.ping_timeout,
            close_timeout=plan.close_timeout,
        )
        self.events = []
        self.finished_by_tick = False
        self.sent_frames = []
        self.close_frames = []
        self.expected_echo = None
        self.pings = set()
        self.session.start(0.0)
        request = self.session.data_to_send()
        assert request.endswith(b"\r\n\r\n"), "no upgrade request queued"
        early = EARLY_CLOSES[plan.early_close]
        if early is not None:
            self.session.close(early[0], early[1])
            assert self.session.data_to_send() == b"", "close sent before the handshake"
        # The outgoing frames, parsed as the server would (masked).
        self.out_parser = FrameParser(rsv1=compress, server_role=True)

    def take(self, event_list, where):
        assert isinstance(event_list, list), "{} returned {!r}".format(where, event_list)
        session = self.session
        for event in event_list:
            assert isinstance(event, events.Event), "{} returned a non-event {!r}".format(where, event)
            assert not any(
                old.name == "disconnected" for old in self.events
            ), "{} returned {!r} after Disconnected".format(where, event)
            self.events.append(event)
            name = event.name
            if name in ("text", "binary") and self.plan.max_size is not None:
                assert _message_size(event) <= self.plan.max_size, "message over max_size: {!r}".format(event)
            elif name == "ping":
                self.pings.add(event.data)
            elif name == "closing":
                if not self.close_frames:
                    self.expected_echo = event.code
        seen_disconnected = any(event.name == "disconnected" for event in self.events)
        assert seen_disconnected == session.is_finished, "is_finished={} but Disconnected seen={} after {}".format(
            session.is_finished, seen_disconnected, where
        )
        if session.is_finished:
            assert session.next_deadline() is None, "a finished session has a deadline"
        else:
            session.next_deadline()
        self.check_sent()

    def check_sent(self):
        data = self.session.data_to_send()
        if not data:
            return
        frames = self.out_parser.feed(data)
        assert self.out_parser.error is None, "the session sent a bad frame: {!r}".format(self.out_parser.error)
        for frame in frames:
            self.sent_frames.append(frame)
            assert frame.opcode in (Opcode.PING, Opcode.PONG, Opcode.CLOSE), "unexpected frame sent: {!r}".format(frame)
            assert len(frame.payload) <= MAX_CONTROL_PAYLOAD, "control frame over 125 bytes: {!r}".format(frame)
            if frame.opcode == Opcode.CLOSE:
                self.check_close(frame.payload)
            elif frame.opcode == Opcode.PONG:
                assert frame.payload in self.pings, "pong for no ping: {!r}".format(frame)

    def check_close(self, payload):
        assert not self.close_frames, "a second close frame was sent: {!r}".format(payload)
        self.close_frames.append(payload)
        assert len(payload) != 1, "close frame with a 1-byte payload"
        code = None
        if payload:
            code = (bytearray(payload)[0] << 8) | bytearray(payload)[1]
            assert is_valid_close_code(code), "sent invalid close code {}".format(code)
            payload[2:].decode("utf-8")  # raises on a broken reason
        if self.expected_echo is not None or (
            code is None and any(event.name == "closing" for event in self.events)
        ):
            assert code == self.expected_echo, "echoed close code {} for {}".format(code, self.expected_echo)

    def deliver(self, piece, use_buffer, where):
        if self.session.is_finished:
            # A driver stops feeding once Disconnected; the session must
            # still ignore anything it gets.
            assert self.session.feed(piece) == [], "events after the end"
            return
        self.take(deliver(self.session, piece, use_buffer), where)

    def tick(self, now):
        was_finished = self.session.is_finished
        self.take(self.session.tick(now), "tick({})".format(now))
        if self.session.is_finished and not was_finished:
            self.finished_by_tick = True

    def end(self):
        self.take(self.session.feed(b""), "feed(b'')")
        session = self.session
        assert session.is_finished, "not finished after EOF"
        disconnected = [event for event in self.events if event.name == "disconnected"]
        assert len(disconnected) == 1, "{} Disconnected events".format(len(disconnected))
        assert self.events[-1] is disconnected[0], "Disconnected is not the last event"
        assert session.feed(b"late") == [], "feed() after the end returned events"
        assert session.tick(1e9) == [], "tick() after the end returned events"
        assert session.feed(b"") == [], "a second EOF returned events"
        assert session.data_to_send() == b"", "data queued after the end"


def fuzz_session(data):
    from atheris import FuzzedDataProvider

    check_session(read_session_plan(FuzzedDataProvider(data)))


def check_session(plan):
    compress = bool(plan.compress)
    extensions = deflate_answer(plan) if compress else None
    response = upgrade_response(extensions)
    wire = response + plan.data
    pieces = split(wire, plan.ops)

    # Run 1: the plan as it is, pieces and ticks.
    ticked = SessionRun(plan, compress)
    now = 0.0
    for index, (piece, how) in enumerate(pieces):
        if how & 2:
            now += (how >> 2) * 0.5
            ticked.tick(now)
        if piece:
            ticked.deliver(piece, how & 1, "piece {}".format(index))
    ticked.end()

    # Run 2: the same pieces without ticks.
    chunked = SessionRun(plan, compress)
    for index, (piece, how) in enumerate(pieces):
        if piece:
            chunked.deliver(piece, how & 1, "piece {}".format(index))
    chunked.end()

    # Run 3: the response, then everything else at once.
    whole = SessionRun(plan, compress)
    if plan.coalesce:
        whole.deliver(wire, False, "whole")
    else:
        whole.deliver(response, False, "response")
        assert [event.name for event in whole.events] == ["ready"], "valid handshake not accepted: {!r}".format(
            whole.events
        )
        if plan.data:
            whole.deliver(plan.data, False, "whole")
    whole.end()
    assert whole.events[0].name == "ready", "valid handshake not accepted: {!r}".format(whole.events[0])

    expected = [signature(event) for event in whole.events]
    got = [signature(event) for event in chunked.events]
    assert got == expected, "events depend on the split:\n whole:   {!r}\n chunked: {!r}".format(expected, got)

    # Timers only add Poll/Unresponsive, or end the connection early.
    quiet = ("poll", "unresponsive")
    ticked_names = [event.name for event in ticked.events if event.name not in quiet]
    chunked_names = [event.name for event in chunked.events if event.name not in quiet]
    if ticked.finished_by_tick:
        assert chunked_names[: len(ticked_names) - 1] == ticked_names[:-1], (
            "ticks changed more than the end:\n ticked:  {!r}\n chunked: {!r}".format(ticked_names, chunked_names)
        )
    else:
        assert ticked_names == chunked_names, "ticks changed the events:\n ticked:  {!r}\n chunked: {!r}".format(
            ticked_names, chunked_names
        )


# -- The response target -----------------------------------------------------


PROTOCOL_OFFERS = [[], ["chat"], ["chat", "superchat"], ["superchat", "v2.json"]]


def compression_offer(choice):
    if choice == 0:
        return None
    if choice == 1:
        return PerMessageDeflate()
    if choice == 2:
        return PerMessageDeflate(client_max_window_bits=10, server_no_context_takeover=True)
    return PerMessageDeflate(client_no_context_takeover=True, server_max_window_bits=12, fallback=False)


def parse_response(pieces):
    """Run a ResponseParser with feed(); return (response, error, rest).

    ``rest`` is what came after the head: what the parser kept plus the
    pieces it was never given.
    """
    parser = ResponseParser()
    results = []
    rest = b""
    for piece, _how in pieces:
        if not piece:
            continue
        if parser.is_finished:
            rest += piece
            continue
        got = parser.feed(piece)
        assert isinstance(got, list)
        results.extend(got)
    assert len(results) <= 1, "more than one response: {!r}".format(results)
    error = parser.error
    if error is not None:
        assert not results, "a response and an error"
        assert isinstance(error, (ParseError, HandshakeError)), "unexpected error type {!r}".format(error)
        return None, error, None
    if not results:
        assert not parser.is_finished, "finished without a response or an error"
        return None, None, None
    return results[0], None, parser.unconsumed() + rest


def fuzz_response(data):
    from atheris import FuzzedDataProvider

    check_response(read_response_plan(FuzzedDataProvider(data)))


def check_response(plan):
    data = plan.data
    # The parser alone is fed with feed(), which keeps the bytes after the
    # head; the session run below takes the zero-copy path.
    response, error, rest = parse_response(split(data, plan.ops))
    whole_response, whole_error, whole_rest = parse_response([(data, 0)])
    if error is not None or whole_error is not None:
        assert repr(error) == repr(whole_error), "errors depend on the split: {!r} / {!r}".format(error, whole_error)
    assert (response is None) == (whole_response is None), "a response only one way"

    handshake = Handshake(
        "fuzz.example",
        80,
        "/",
        key=KEY,
        protocols=PROTOCOL_OFFERS[plan.protocols],
        compression=compression_offer(plan.compress),
    )
    outcome = None
    if response is not None:
        assert response.raw == whole_response.raw
        assert response.headers == whole_response.headers
        assert response.raw.endswith(b"\r\n\r\n")
        assert response.raw + rest == data, "head + leftover != input"
        assert rest == whole_rest
        assert isinstance(response.status_code, int) and 0 <= response.status_code <= 999
        for name, value in response.headers.items():
            assert name == name.lower()
            split_list(value)
            assert response.get_list(name) is not None
        try:
            protocol, extension_names, deflate = handshake.validate(response)
        except HandshakeError as problem:
            outcome = ("rejected", str(problem))
        else:
            assert response.status_code == 101
            assert protocol is None or protocol in handshake.protocols
            assert extension_names <= set(["permessage-deflate"])
            assert (deflate is None) == (not extension_names)
            assert deflate is None or handshake.compression is not None
            outcome = ("ready",)

    # The same bytes through a CONNECTING session, by the socket loop's
    # zero-copy path with the plan's pieces.
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count)
    session.start(0.0)
    session.data_to_send()
    seen = []
    for piece, how in split(data, plan.ops):
        if piece and not session.is_finished:
            seen.extend(deliver(session, piece, how & 1))
    seen.extend(session.feed(b""))
    for event in seen:
        assert isinstance(event, events.Event)
    names = [event.name for event in seen]
    assert names.count("disconnected") == 1 and names[-1] == "disconnected", names
    assert session.is_finished
    if outcome is None:
        assert names == ["disconnected"], names
    elif outcome[0] == "rejected":
        assert names == ["rejected", "disconnected"], names
        assert seen[0].reason == outcome[1]
    else:
        assert names[0] == "ready", names


# -- The parser target ---------------------------------------------------------


class ProgramParser(Parser):
    """A Parser that runs a list of requests and yields what each read."""

    def __init__(self, requests, buffer_size, large_read):
        self.requests = requests
        self.buffer_size = buffer_size
        self.large_read = large_read
        super(ProgramParser, self).__init__()

    def parse(self):
        for index, request in enumerate(self.requests):
            if isinstance(request, tuple):
                data = yield ReadUntil(request[0], request[1])
            else:
                data = yield request
            yield (index, data)


def model_parse(requests, data):
    """What a correct parser returns for ``data`` given all at once.

    :returns: ``(results, outcome, pos)``: outcome is "done", "more" or
        "overflow"; pos is where the next unread byte is.

    A Parser only runs when bytes arrive, so with no input at all not even
    a 0-byte read at the start is answered.
    """
    results = []
    pos = 0
    if not data:
        return results, ("done" if not requests else "more"), pos
    for index, request in enumerate(requests):
        if isinstance(request, tuple):
            sep, limit = request
            found = data.find(sep, pos)
            if found < 0:
                if len(data) - pos >= limit:
                    return results, "overflow", pos
                return results, "more", pos
            stop = found + len(sep)
            if stop - pos > limit:
                return results, "overflow", pos
        else:
            stop = pos + request
            if stop > len(data):
                return results, "more", pos
        results.append((index, data[pos:stop]))
        pos = stop
    return results, "done", pos


def fuzz_parser(data):
    from atheris import FuzzedDataProvider

    check_parser(read_parser_plan(FuzzedDataProvider(data)))


def check_parser(plan):
    data = plan.data
    expected, outcome, pos = model_parse(plan.requests, data)
    parser = ProgramParser(plan.requests, plan.buffer_size, plan.large_read)
    results = []
    rest = b""
    for piece, how in split(data, plan.ops):
        if not piece:
            continue
        if parser.is_finished:
            rest += piece
            continue
        if how & 1:
            # The zero-copy path refuses bytes past the end; feed() keeps
            # them, so only give it what it can take.
            offset = 0
            while offset < len(piece) and not parser.is_finished:
                space = parser.get_buffer()
                count = min(len(space), len(piece) - offset)
                assert count > 0
                space[:count] = piece[offset : offset + count]
                del space
                results.extend(parser.buffer_updated(count))
                offset += count
            rest += piece[offset:]
        else:
            results.extend(parser.feed(piece))
    assert results == expected, "parser results differ from the model:\n model:  {!r}\n parser: {!r}".format(
        expected, results
    )
    if outcome == "overflow":
        assert isinstance(parser.error, ParseOverflow), "expected an overflow, got {!r}".format(parser.error)
        assert parser.is_finished
    else:
        assert parser.error is None, "unexpected error {!r}".format(parser.error)
    if outcome == "done":
        assert parser.is_finished
        left = parser.unconsumed() + rest
        assert left == data[pos:], "unconsumed bytes are wrong: {!r} != {!r}".format(left, data[pos:])
    elif outcome == "more":
        assert not parser.is_finished, "finished early"


TARGETS = {
    "response": fuzz_response,
    "session": fuzz_session,
    "parser": fuzz_parser,
}

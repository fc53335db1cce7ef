"""The session state machine, fed with bytes and a fake clock."""

import logging
import random

import pytest

from lomond import events
from lomond.compression import Deflate, PerMessageDeflate
from lomond.errors import WebSocketClosed, WebSocketClosing, WebSocketUnavailable
from lomond.frame import Frame, encode_frame
from lomond.frame_parser import FrameParser
from lomond.handshake import Handshake, accept_key, make_key
from lomond.opcode import Opcode
from lomond.session import CLOSE_GRACE, CLOSED, CLOSING, CONNECTING, OPEN, WebsocketSession

from .chunks import SPLITS, whole

KEY = make_key(b"k" * 16)


@pytest.fixture(autouse=True, params=["quiet", "debug"])
def log_level(request):
    """Every test runs twice: the session takes another path when frames
    are logged."""
    logger = logging.getLogger("lomond")
    saved = logger.level
    logger.setLevel(logging.DEBUG if request.param == "debug" else logging.WARNING)
    yield request.param
    logger.setLevel(saved)


def response(status="101 Switching Protocols", headers=None):
    lines = ["HTTP/1.1 " + status]
    if headers is None:
        headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(KEY)),
        ]
    lines += ["{}: {}".format(name, value) for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def deflate_response(params="permessage-deflate"):
    return response(
        headers=[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(KEY)),
            ("Sec-WebSocket-Extensions", params),
        ]
    )


def new_session(compression=None, **options):
    handshake = Handshake("example.org", 80, "/", key=KEY, compression=compression)
    # A zero mask key leaves payloads readable in the bytes sent.
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count, **options)
    session.start(0.0)
    return session


def open_session(**options):
    session = new_session(**options)
    session.data_to_send()
    assert names(session.feed(response())) == ["ready"]
    return session


def feed(session, data, split=whole):
    received = []
    for chunk in split(data):
        received.extend(session.feed(chunk))
    return received


def names(event_list):
    return [event.name for event in event_list]


def failed(session, now=0.0):
    """The frames sent once a failure's close is released by tick()."""
    session.tick(now)
    return sent(session)


def sent(session):
    """The frames the session queued, as the server would parse them."""
    parser = FrameParser(rsv1=session.deflate is not None, server_role=True)
    frames = parser.feed(session.data_to_send())
    assert parser.error is None
    return frames


def server(opcode, payload=b"", fin=True, rsv1=False):
    return encode_frame(opcode, payload, fin=fin, rsv1=rsv1)


def close_payload(code, reason=b""):
    return bytes(bytearray([code >> 8, code & 0xFF])) + reason


# -- RFC 6455 4: the opening handshake ---------------------------------------


def test_start_queues_the_request():
    session = new_session()
    request = session.data_to_send()
    assert request.startswith(b"GET / HTTP/1.1\r\n")
    assert b"Sec-WebSocket-Key: " + KEY in request
    assert session.state == CONNECTING


def test_start_twice_is_an_error():
    session = new_session()
    with pytest.raises(RuntimeError):
        session.start(1.0)


@pytest.mark.parametrize("split", SPLITS)
def test_ready_then_frames_in_the_same_bytes(split):
    session = new_session()
    received = feed(session, response() + server(Opcode.TEXT, b"hi") + server(Opcode.BINARY, b"\x00"), split)
    assert names(received) == ["ready", "text", "binary"]
    assert received[1].text == u"hi"
    assert received[2].data == b"\x00"
    assert session.state == OPEN


def test_ready_reports_protocol_and_response():
    handshake = Handshake("h", 80, "/", key=KEY, protocols=["chat", "superchat"])
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count)
    session.start(0.0)
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(KEY)),
        ("Sec-WebSocket-Protocol", "superchat"),
    ]
    (ready,) = session.feed(response(headers=headers))
    assert ready.protocol == "superchat"
    assert ready.response.status_code == 101
    assert session.protocol == "superchat"


@pytest.mark.parametrize("split", SPLITS)
def test_rejection_keeps_status_headers_and_body(split):
    session = new_session()
    data = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nX-Why: no\r\n\r\nnope"
    received = feed(session, data, split)
    assert names(received) == ["rejected", "disconnected"]
    rejected, disconnected = received
    assert rejected.response.status_code == 403
    assert rejected.response.get("x-why") == "no"
    assert "403 Forbidden" in rejected.reason
    assert disconnected.graceful
    assert session.is_finished


def test_rejection_body_that_arrives_with_the_head():
    session = new_session()
    (rejected, _) = session.feed(b"HTTP/1.1 404 Not Found\r\n\r\nmissing")
    assert rejected.response.body == b"missing"


def test_bad_accept_key_is_rejected():
    session = new_session()
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "bad")]
    received = session.feed(response(headers=headers))
    assert names(received) == ["rejected", "disconnected"]
    assert "Accept" in received[0].reason


def test_not_http_ends_the_connection():
    session = new_session()
    received = session.feed(b"SSH-2.0-OpenSSH\r\n\r\n")
    assert names(received) == ["disconnected"]
    assert not received[0].graceful
    assert "invalid upgrade response" in received[0].reason


def test_response_head_over_the_limit():
    session = new_session()
    received = feed(session, b"HTTP/1.1 101 OK\r\n" + b"X: " + b"a" * 20000)
    assert names(received) == ["disconnected"]
    assert "invalid upgrade response" in received[0].reason


def test_eof_during_the_handshake():
    session = new_session()
    session.feed(b"HTTP/1.1 101")
    (disconnected,) = session.feed(b"")
    assert not disconnected.graceful
    assert "before answering the upgrade" in disconnected.reason


def test_handshake_timeout():
    session = new_session(handshake_timeout=5.0)
    assert session.next_deadline() == 5.0
    assert session.tick(4.9) == []
    received = session.tick(5.0)
    assert names(received) == ["disconnected"]
    assert "timed out" in received[0].reason


def test_no_handshake_timeout():
    session = new_session(handshake_timeout=None)
    assert session.next_deadline() is None
    assert session.tick(1e9) == []


def test_sending_before_ready_is_refused():
    session = new_session()
    with pytest.raises(WebSocketUnavailable):
        session.send_text(u"too early")


def test_close_before_ready_is_sent_once_open():
    session = new_session()
    session.data_to_send()
    session.close(1000, b"bye")
    assert session.data_to_send() == b""
    session.feed(response())
    (frame,) = sent(session)
    assert frame.opcode == Opcode.CLOSE
    assert frame.payload == close_payload(1000, b"bye")
    assert session.state == CLOSING


# -- RFC 6455 5.4 and 5.6: messages ------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_fragmented_message_with_control_frames_inside(split):
    session = open_session()
    data = (
        server(Opcode.TEXT, b"Hel", fin=False)
        + server(Opcode.PING, b"p")
        + server(Opcode.CONTINUATION, b"lo, ", fin=False)
        + server(Opcode.PONG, b"q")
        + server(Opcode.CONTINUATION, b"World")
    )
    received = feed(session, data, split)
    assert names(received) == ["ping", "pong", "text"]
    assert received[2].text == u"Hello, World"


def test_send_text_and_binary_frames():
    session = open_session()
    session.send_text(u"caf\xe9")
    session.send_binary(bytearray(b"\x01\x02"))
    session.send_binary(memoryview(b"\x03"))
    assert sent(session) == [
        Frame(Opcode.TEXT, u"caf\xe9".encode("utf-8")),
        Frame(Opcode.BINARY, b"\x01\x02"),
        Frame(Opcode.BINARY, b"\x03"),
    ]


def test_frames_sent_are_masked():
    handshake = Handshake("h", 80, "/", key=KEY)
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\x01\x02\x03\x04"[:count])
    session.start(0.0)
    session.data_to_send()
    session.feed(response())
    session.send_text(u"abcd")
    data = bytearray(session.data_to_send())
    assert data[1] & 0x80
    assert data[2:6] == b"\x01\x02\x03\x04"
    assert data[6:] == bytearray(b"\x60\x60\x60\x60")


@pytest.mark.parametrize(
    "method, argument",
    [("send_text", b"bytes"), ("send_binary", u"text"), ("send_binary", 5), ("send_ping", u"x"), ("send_pong", 1)],
)
def test_send_wrong_type(method, argument):
    session = open_session()
    with pytest.raises(TypeError):
        getattr(session, method)(argument)


@pytest.mark.parametrize("method", ["send_ping", "send_pong"])
def test_control_payload_limit(method):
    session = open_session()
    getattr(session, method)(b"x" * 125)
    with pytest.raises(ValueError):
        getattr(session, method)(b"x" * 126)


# -- RFC 6455 5.5.2 and 5.5.3: ping and pong ----------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_ping_is_answered_with_the_same_data(split):
    session = open_session()
    received = feed(session, server(Opcode.PING, b"are you there"), split)
    assert names(received) == ["ping"]
    assert received[0].data == b"are you there"
    assert sent(session) == [Frame(Opcode.PONG, b"are you there")]


def test_auto_pong_off():
    session = open_session(auto_pong=False)
    assert names(session.feed(server(Opcode.PING, b"x"))) == ["ping"]
    assert session.data_to_send() == b""
    session.send_pong(b"x")
    assert sent(session) == [Frame(Opcode.PONG, b"x")]


def test_unsolicited_pong_is_an_event():
    session = open_session()
    (pong,) = session.feed(server(Opcode.PONG, b"heartbeat"))
    assert pong.data == b"heartbeat"
    assert session.data_to_send() == b""


# -- RFC 6455 5.5.1 and 7: closing -------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_server_initiated_close(split):
    session = open_session()
    received = feed(session, server(Opcode.CLOSE, close_payload(1001, b"going away")), split)
    assert names(received) == ["closing"]
    assert (received[0].code, received[0].reason) == (1001, u"going away")
    assert session.state == CLOSING
    # The application may answer Closing before the echo goes out.
    session.send_text(u"last words")
    assert session.tick(1.0) == []
    assert sent(session) == [
        Frame(Opcode.TEXT, b"last words"),
        Frame(Opcode.CLOSE, close_payload(1001)),
    ]
    assert session.state == CLOSED
    with pytest.raises(WebSocketClosed):
        session.send_text(u"too late")
    (disconnected,) = session.feed(b"")
    assert disconnected.graceful
    assert session.is_finished


def test_echo_is_due_at_once():
    session = open_session()
    session.tick(2.0)
    session.feed(server(Opcode.CLOSE, close_payload(1000)))
    assert session.next_deadline() == 2.0


def test_close_without_a_code_is_echoed_without_one():
    session = open_session()
    (closing,) = session.feed(server(Opcode.CLOSE))
    assert closing.code is None
    session.tick(0.0)
    assert sent(session) == [Frame(Opcode.CLOSE, b"")]


def test_client_initiated_close():
    session = open_session()
    session.close(1000, b"done", now=3.0)
    assert sent(session) == [Frame(Opcode.CLOSE, close_payload(1000, b"done"))]
    assert session.close_sent_time == 3.0
    assert session.state == CLOSING
    with pytest.raises(WebSocketClosing):
        session.send_binary(b"no")
    # Data still arrives until the server answers.
    received = session.feed(server(Opcode.TEXT, b"in flight") + server(Opcode.CLOSE, close_payload(1000)))
    assert names(received) == ["text", "closed"]
    assert received[1].code == 1000
    assert session.state == CLOSED
    (disconnected,) = session.feed(b"")
    assert disconnected.graceful


def test_server_that_keeps_the_tcp_connection_open():
    session = open_session()
    session.close(now=1.0)
    session.feed(server(Opcode.CLOSE, close_payload(1000)))
    assert session.next_deadline() == 1.0 + CLOSE_GRACE
    assert session.tick(1.0 + CLOSE_GRACE - 0.01) == []
    (disconnected,) = session.tick(1.0 + CLOSE_GRACE)
    assert disconnected.graceful


def test_close_timeout():
    session = open_session(close_timeout=10.0, poll=0, ping_rate=0)
    session.close(now=1.0)
    assert session.next_deadline() == 11.0
    assert session.tick(10.9) == []
    (disconnected,) = session.tick(11.0)
    assert not disconnected.graceful
    assert "did not answer the close" in disconnected.reason


def test_connection_lost_before_the_echo():
    session = open_session()
    session.close()
    (disconnected,) = session.feed(b"")
    assert not disconnected.graceful


def test_close_twice_sends_one_frame():
    session = open_session()
    session.close()
    session.close(4000, b"again")
    assert len(sent(session)) == 1


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_close_with_a_code_that_may_not_be_sent(code):
    session = open_session()
    with pytest.raises(ValueError):
        session.close(code)


@pytest.mark.parametrize("code", [None, 1000.0, "1000", True, b"\x03\xe8"])
def test_close_code_must_be_an_int(code):
    session = open_session()
    with pytest.raises(TypeError) as error:
        session.close(code)
    assert "must be an int" in str(error.value)
    assert sent(session) == []


def test_close_reason_is_cut_at_a_character():
    session = open_session()
    session.close(1000, u"\u00e9" * 100)
    (frame,) = sent(session)
    reason = frame.payload[2:]
    assert len(reason) == 122
    reason.decode("utf-8")


def test_close_after_the_end_does_nothing():
    session = open_session()
    session.feed(b"")
    session.close()
    assert session.data_to_send() == b""


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4999])
def test_valid_close_codes_received(code):
    session = open_session()
    (closing,) = session.feed(server(Opcode.CLOSE, close_payload(code, b"r")))
    assert closing.code == code


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
def test_invalid_close_codes_received(code):
    session = open_session()
    received = session.feed(server(Opcode.CLOSE, close_payload(code)))
    assert names(received) == ["protocol_error"]
    assert failed(session)[0].payload[:2] == close_payload(1002)
    (disconnected,) = session.feed(b"")
    assert not disconnected.graceful


def test_close_with_one_byte_payload():
    session = open_session()
    assert names(session.feed(server(Opcode.CLOSE, b"\x03"))) == ["protocol_error"]
    assert failed(session)[0].payload[:2] == close_payload(1002)


def test_close_reason_not_utf8():
    session = open_session()
    assert names(session.feed(server(Opcode.CLOSE, close_payload(1000, b"\xff")))) == ["protocol_error"]
    assert failed(session)[0].payload[:2] == close_payload(1007)


def test_bytes_after_the_close_frame_are_ignored():
    session = open_session()
    received = session.feed(server(Opcode.CLOSE, close_payload(1000)) + server(Opcode.TEXT, b"late") + b"\xff\xff")
    assert names(received) == ["closing"]


# -- RFC 6455 7.1.7: failing the connection ----------------------------------

FRAMING_ERRORS = [
    ("rsv2", b"\xa1\x00"),
    ("rsv1 without compression", b"\xc1\x00"),
    ("reserved opcode", b"\x83\x00"),
    ("fragmented ping", b"\x09\x00"),
    ("long ping", b"\x89\x7e\x00\x7e" + b"x" * 126),
    ("masked server frame", b"\x81\x81abcd\x00"),
    ("huge length", b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00"),
]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("label, data", FRAMING_ERRORS, ids=[label for label, _ in FRAMING_ERRORS])
def test_framing_errors_fail_the_connection(label, data, split):
    session = open_session()
    received = feed(session, server(Opcode.TEXT, b"before") + data + server(Opcode.TEXT, b"after"), split)
    assert names(received) == ["text", "protocol_error"]
    assert received[1].critical
    (frame,) = failed(session)
    assert frame.opcode == Opcode.CLOSE
    assert frame.payload[:2] == close_payload(1002)
    assert session.state == CLOSED
    with pytest.raises(WebSocketClosed):
        session.send_text(u"x")
    (disconnected,) = session.feed(b"")
    assert not disconnected.graceful
    assert "protocol error" in disconnected.reason


def test_frame_over_max_size_is_refused_before_its_payload():
    session = open_session(max_size=100)
    received = session.feed(b"\x82\x7e\x01\x00")  # 256 bytes announced
    assert names(received) == ["protocol_error"]
    assert failed(session)[0].payload[:2] == close_payload(1009)


@pytest.mark.parametrize("split", SPLITS)
def test_message_over_max_size_across_fragments(split):
    session = open_session(max_size=10)
    data = server(Opcode.BINARY, b"x" * 6, fin=False) + server(Opcode.CONTINUATION, b"y" * 6, fin=False)
    received = feed(session, data, split)
    assert names(received) == ["protocol_error"]
    assert not received[0].critical
    assert failed(session)[0].payload[:2] == close_payload(1009)


@pytest.mark.parametrize("split", SPLITS)
def test_invalid_utf8_fails_fast_then_waits_for_the_close(split):
    session = open_session(close_timeout=5.0)
    session.tick(1.0)
    bad = u"\u03ba\u1f79".encode("utf-8") + b"\xed\xa0\x80"
    received = feed(session, server(Opcode.TEXT, bad, fin=False), split)
    assert names(received) == ["protocol_error"]
    assert not received[0].critical
    assert failed(session)[0].payload[:2] == close_payload(1007)
    assert session.state == CLOSING
    # Data after our close is ignored; the server's close completes it.
    received = session.feed(server(Opcode.CONTINUATION, b"rest") + server(Opcode.CLOSE, close_payload(1007)))
    assert received == []
    assert session.state == CLOSED
    (disconnected,) = session.feed(b"")
    assert not disconnected.graceful


def test_continuation_without_a_message():
    session = open_session()
    received = session.feed(server(Opcode.CONTINUATION, b"x"))
    assert names(received) == ["protocol_error"]
    assert failed(session)[0].payload[:2] == close_payload(1002)


def test_peer_garbage_never_raises():
    rng = random.Random(7)
    for _trial in range(300):
        session = open_session(max_size=1000)
        garbage = bytes(bytearray(rng.randint(0, 255) for _ in range(rng.randint(1, 300))))
        for chunk in [garbage[i : i + 7] for i in range(0, len(garbage), 7)]:
            session.feed(chunk)
            session.tick(0.0)
        session.feed(b"")
        assert session.is_finished


# -- Timers -------------------------------------------------------------------


def test_poll_right_after_ready_then_periodically():
    session = new_session(poll=5.0, ping_rate=0)
    session.tick(1.0)
    session.feed(response())
    assert session.next_deadline() == 1.0
    assert names(session.tick(1.0)) == ["poll"]
    assert session.next_deadline() == 6.0
    assert session.tick(5.9) == []
    assert names(session.tick(6.0)) == ["poll"]


def test_pings_at_the_ping_rate():
    session = new_session(poll=100.0, ping_rate=30.0)
    session.data_to_send()
    session.tick(0.0)
    session.feed(response())
    session.tick(0.0)
    assert session.next_deadline() == 30.0
    session.tick(30.0)
    assert sent(session) == [Frame(Opcode.PING, b"")]
    assert session.next_deadline() == 60.0


def test_unanswered_ping_makes_the_server_unresponsive():
    session = new_session(poll=100.0, ping_rate=10.0, ping_timeout=15.0)
    session.tick(0.0)
    session.feed(response())
    session.tick(10.0)
    assert session.next_deadline() == 20.0  # next ping before the timeout
    session.tick(20.0)
    assert session.next_deadline() == 25.0
    received = session.tick(25.0)
    assert names(received) == ["unresponsive", "disconnected"]
    assert not received[1].graceful


def test_pong_keeps_the_server_alive():
    session = new_session(poll=100.0, ping_rate=10.0, ping_timeout=15.0)
    session.tick(0.0)
    session.feed(response())
    session.tick(10.0)
    session.feed(server(Opcode.PONG))
    assert session.tick(25.0) == []
    assert not session.is_finished


def test_timers_can_be_disabled():
    session = new_session(poll=0, ping_rate=None, close_timeout=0)
    session.tick(0.0)
    session.feed(response())
    assert session.next_deadline() is None
    session.close()
    assert session.next_deadline() is None


def test_negative_timer_is_a_mistake():
    with pytest.raises(ValueError):
        new_session(ping_rate=-1)


# -- The transport's side -----------------------------------------------------


@pytest.mark.parametrize("partial", [b"\x81", b"\x81\x05", b"\x81\x05he", b"\x82\x7e\x01"])
def test_eof_in_the_middle_of_a_frame(partial):
    session = open_session()
    session.feed(partial)
    (disconnected,) = session.feed(b"")
    assert "middle of a frame" in disconnected.reason
    assert not disconnected.graceful


def test_eof_between_frames():
    session = open_session()
    (disconnected,) = session.feed(b"")
    assert "without a close frame" in disconnected.reason


def test_abort():
    session = open_session()
    (disconnected,) = session.abort("socket fail; reset")
    assert disconnected.reason == "socket fail; reset"
    assert session.abort("again") == []
    assert session.feed(b"more") == []
    assert session.tick(100.0) == []


def test_abort_after_the_closing_handshake_is_still_graceful():
    """The close frames went both ways; a reset instead of a FIN after
    that doesn't undo the handshake."""
    session = open_session()
    session.feed(server(Opcode.CLOSE, close_payload(1000)))
    session.tick(0.0)  # sends the echo
    assert session.state == CLOSED
    (disconnected,) = session.abort("socket fail; [Errno 104] Connection reset by peer")
    assert disconnected.graceful
    assert disconnected.reason == "closed"


def test_abort_during_the_closing_handshake_is_not_graceful():
    session = open_session()
    session.close(now=0.0)
    (disconnected,) = session.abort("socket fail; reset")
    assert not disconnected.graceful


def test_close_during_the_upgrade_starts_the_close_timer():
    session = new_session(close_timeout=5.0, handshake_timeout=30.0)
    session.close(1000, b"bye", now=2.0)
    assert session.close_deadline == 7.0
    assert session.next_deadline() == 7.0
    assert session.tick(6.9) == []
    (disconnected,) = session.tick(7.0)
    assert not disconnected.graceful
    assert "close() was called and the upgrade did not complete within 5s" in disconnected.reason


def test_close_during_the_upgrade_keeps_its_deadline_once_open():
    """The whole connection ends within close_timeout of the call."""
    session = new_session(close_timeout=5.0)
    session.close(1000, b"bye", now=2.0)
    session.tick(4.0)
    session.data_to_send()  # the upgrade request
    session.feed(response())
    assert [frame.opcode for frame in sent(session)] == [Opcode.CLOSE]
    assert session.close_deadline == 7.0
    (disconnected,) = session.tick(7.0)
    assert "did not answer the close" in disconnected.reason


def test_close_before_start_counts_from_the_call():
    handshake = Handshake("example.org", 80, "/", key=KEY)
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count, close_timeout=5.0)
    session.close(1001, b"", now=1.0)
    session.start(3.0)
    assert session.next_deadline() == 6.0
    session.data_to_send()  # the upgrade request
    session.feed(response())
    assert sent(session)[-1] == Frame(Opcode.CLOSE, close_payload(1001))


@pytest.mark.parametrize("size", [1, 100, 40000, 200000])
def test_get_buffer_path_matches_feed(size):
    payload = bytes(bytearray(index % 251 for index in range(size)))
    data = response() + server(Opcode.BINARY, payload) + server(Opcode.TEXT, b"tail")
    session = new_session()
    received = []
    pos = 0
    while pos < len(data):
        space = session.get_buffer()
        count = min(len(space), len(data) - pos, 3000)
        space[:count] = data[pos : pos + count]
        del space
        received.extend(session.buffer_updated(count))
        pos += count
    assert names(received) == ["ready", "binary", "text"]
    assert received[1].data == payload


def test_get_buffer_after_the_end_is_scratch():
    session = open_session()
    session.feed(b"")
    space = session.get_buffer()
    assert len(space) > 0
    assert session.buffer_updated(len(space)) == []


# -- RFC 7692: compression ------------------------------------------------------


def compressed_session(params="permessage-deflate"):
    session = new_session(compression=PerMessageDeflate())
    session.data_to_send()
    assert names(session.feed(deflate_response(params))) == ["ready"]
    return session


def test_compressed_messages_both_ways():
    session = compressed_session()
    assert session.extensions == set(["permessage-deflate"])
    codec = Deflate()
    received = session.feed(server(Opcode.TEXT, codec.compress(b"squeeze me " * 20), rsv1=True))
    assert received[0].text == u"squeeze me " * 20
    session.send_text(u"a" * 1000)
    (frame,) = sent(session)
    assert frame.rsv1
    assert Deflate().decompress(frame.payload, None) + Deflate().finish(None) != b""
    peer = Deflate()
    assert peer.decompress(frame.payload, None) + peer.finish(None) == b"a" * 1000


def test_compress_false_sends_plain():
    session = compressed_session()
    session.send_binary(b"already compressed", compress=False)
    assert sent(session) == [Frame(Opcode.BINARY, b"already compressed")]


def test_client_window_of_8_sends_plain():
    session = compressed_session("permessage-deflate; client_max_window_bits=8")
    session.send_text(u"hello")
    assert sent(session) == [Frame(Opcode.TEXT, b"hello")]


def test_invalid_deflate_response_is_rejected():
    session = new_session(compression=PerMessageDeflate())
    received = session.feed(deflate_response("permessage-deflate; server_max_window_bits=7"))
    assert names(received) == ["rejected", "disconnected"]
    assert "server_max_window_bits" in received[0].reason


def test_trace_records_frames_as_notes():
    handshake = Handshake("h", 80, "/", key=KEY)
    session = WebsocketSession(handshake, random_bytes=lambda count: b"\0" * count, trace=True)
    session.start(0.0)
    session.feed(response() + server(Opcode.TEXT, b"x"))
    session.send_text(u"y")
    traces = [note[1] for note in session.take_notes() if note[0] == "trace"]
    assert [record["stage"] for record in traces] == ["frame_received", "frame_sent"]
    assert not session.take_notes()


class Recorder(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_the_session_never_logs_itself_it_takes_notes(log_level):
    """A driver may hold a lock while it uses the session: log handlers
    (user code) must only run when the driver emits the notes."""
    recorder = Recorder()
    logger = logging.getLogger("lomond")
    logger.addHandler(recorder)
    try:
        session = open_session()
        session.feed(server(Opcode.TEXT, b"x") + server(Opcode.PING, b"p") + b"\xa1\x00")
        session.send_text(u"y")
        session.tick(0.0)
        notes = session.take_notes()
    finally:
        logger.removeHandler(recorder)
    assert recorder.records == []
    logged = [note for note in notes if note[0] == "log"]
    if log_level == "debug":
        messages = [note[2] % note[3] for note in logged]
        assert any(message.startswith("received") for message in messages)
        assert any(message.startswith("sending PING") or message.startswith("sending PONG") for message in messages)
        assert any(message.startswith("protocol error (close code 1002)") for message in messages)
    else:
        assert logged == []


def test_repr_and_states():
    session = new_session()
    assert "connecting" in repr(session)
    session.feed(response())
    assert session.state == OPEN
    assert isinstance(events.Poll(), events.Event)


def test_failure_waits_for_the_application_to_answer_earlier_messages():
    session = open_session()
    received = session.feed(server(Opcode.TEXT, b"valid") + b"\xa1\x00")
    assert names(received) == ["text", "protocol_error"]
    assert session.data_to_send() == b""
    assert session.next_deadline() == 0.0  # the close is due at once
    session.send_text(u"echo of valid")  # answering the event before the error
    session.tick(0.0)
    assert [frame.opcode for frame in sent(session)] == [Opcode.TEXT, Opcode.CLOSE]
    with pytest.raises(WebSocketClosed):
        session.send_text(u"too late")


def test_dropped_parsers_are_freed_without_the_garbage_collector():
    import gc
    import struct
    import weakref

    enabled = gc.isenabled()
    gc.disable()
    try:
        session = open_session()
        session.feed(b"\x82\x7f" + struct.pack("!Q", 10 * 1024 * 1024) + b"partial")
        parser = weakref.ref(session._parser)
        session.feed(b"")
        assert parser() is None
    finally:
        if enabled:
            gc.enable()


def test_eof_after_a_message_error_names_the_error():
    session = open_session()
    session.feed(server(Opcode.TEXT, b"\xff"))
    session.tick(0.0)
    (disconnected,) = session.feed(b"")
    assert "protocol error" in disconnected.reason
    assert not disconnected.graceful

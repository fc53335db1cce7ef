"""Upgrade responses in the forms RFC 7230 lets a server send, over sockets."""

import pytest

from lomond.frame import encode_frame
from lomond.frame_parser import FrameParser
from lomond.opcode import Opcode

from .helpers import names
from .servers import RawServer, read_request, read_until_close, upgrade_response


def client_frames(data):
    return [(frame.opcode, frame.payload) for frame in FrameParser(server_role=True).feed(data)]


@pytest.mark.parametrize(
    "line_end, in_one_write",
    [(b"\n", True), (b"\n", False), (b"\r\n", True)],
    ids=["bare LF, message with the head", "bare LF, message after", "CRLF"],
)
def test_a_101_with_bare_lf_lines_then_a_message_each_way(driver, line_end, in_one_write):
    got = {}

    def script(sock):
        head = upgrade_response(read_request(sock)).replace(b"\r\n", line_end)
        message = encode_frame(Opcode.TEXT, b"hello")
        if in_one_write:
            sock.sendall(head + message)  # the frame must not be taken for the head
        else:
            sock.sendall(head)
            sock.sendall(message)
        got["client"] = read_until_close(sock)
        sock.sendall(encode_frame(Opcode.CLOSE, b"\x03\xe8"))

    def handler(websocket, event):
        if event.name == "text":
            websocket.send_text(u"hello back")
            websocket.close()

    with RawServer(script) as server:
        received = driver.run(driver.WebSocket(server.url()), handler)
    assert not server.errors
    received = [event for event in received if event.name != "poll"]
    assert names(received) == ["connecting", "connected", "ready", "text", "closed", "disconnected"]
    assert received[3].text == u"hello"
    assert received[-1].graceful
    frames = client_frames(got["client"])
    assert [opcode for opcode, _payload in frames] == [Opcode.TEXT, Opcode.CLOSE]
    assert frames[0][1] == b"hello back"

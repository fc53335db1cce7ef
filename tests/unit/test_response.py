import pytest

from lomond.constants import MAX_RESPONSE_HEAD, MAX_RESPONSE_HEADERS
from lomond.errors import HandshakeError
from lomond.parser import ParseError, ParseOverflow
from lomond.response import Request, RequestParser, Response, ResponseParser, split_list

from .chunks import SPLITS

HEAD = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"\r\n"
)


def head(*lines):
    return b"\r\n".join(lines) + b"\r\n\r\n"


def parse_stream(chunks):
    parser = ResponseParser()
    results = []
    for index, chunk in enumerate(chunks):
        if parser.is_finished:
            return parser, results, parser.unconsumed() + b"".join(chunks[index:])
        results.extend(parser.feed(chunk))
    return parser, results, parser.unconsumed()


# RFC 7230 3.1.2: the status line


def test_status_line():
    response = Response(HEAD)
    assert (response.http_ver, response.status_code, response.status) == (
        "HTTP/1.1",
        101,
        "Switching Protocols",
    )
    assert response.raw == HEAD
    assert response.body == b""
    assert repr(response) == "<response HTTP/1.1 101 Switching Protocols>"


@pytest.mark.parametrize(
    "line, code, status",
    [
        (b"HTTP/1.0 404 Not Found", 404, "Not Found"),
        (b"HTTP/1.1 200", 200, ""),
        (b"HTTP/1.1 200 ", 200, ""),
        (b"HTTP/1.1 503 Busy: try \xe9 later", 503, u"Busy: try \xe9 later"),
    ],
)
def test_status_lines(line, code, status):
    response = Response(head(line))
    assert (response.status_code, response.status) == (code, status)


@pytest.mark.parametrize(
    "data",
    [
        b"SSH-2.0-OpenSSH_8.9\r\n\r\n",
        b"HTTP/1.1 1010 Too long\r\n\r\n",
        b"HTTP/1.1 10 Short\r\n\r\n",
        b"HTTP/2 101 Upgraded\r\n\r\n",
        b"http/1.1 101 Lower\r\n\r\n",
        b"HTTP/1.1  101 Two spaces\r\n\r\n",
        b"\r\n\r\n",
        b"<html>\r\n\r\n",
    ],
)
def test_not_http(data):
    with pytest.raises(HandshakeError):
        Response(data)


# RFC 7230 3.2: header fields


def test_headers_lower_cased():
    response = Response(head(b"HTTP/1.1 101 OK", b"X-Thing: Value", b"UPGRADE:websocket"))
    assert response.headers == {"x-thing": "Value", "upgrade": "websocket"}
    assert response.get("X-THING") == "Value"
    assert response.get("missing") is None
    assert response.get("missing", "default") == "default"


def test_value_whitespace_is_stripped():
    response = Response(head(b"HTTP/1.1 101 OK", b"A: \t spaced \t", b"B:"))
    assert response.headers == {"a": "spaced", "b": ""}


def test_repeated_headers_are_joined():
    response = Response(head(b"HTTP/1.1 101 OK", b"A: 1", b"B: x", b"a: 2", b"A: 3"))
    assert response.headers == {"a": "1, 2, 3", "b": "x"}
    assert response.get_list("a") == ["1", "2", "3"]


def test_obsolete_line_folding():
    response = Response(head(b"HTTP/1.1 101 OK", b"A: first", b"  second", b"\tthird", b"B: x"))
    assert response.headers == {"a": "first second third", "b": "x"}


def test_folded_first_line():
    with pytest.raises(HandshakeError):
        Response(head(b"HTTP/1.1 101 OK", b" folded: value"))


@pytest.mark.parametrize(
    "line",
    [
        b"no colon",
        b": no name",
        b"Space Name: x",
        b"Name : x",
        b"Na\"me: x",
        b"N\xe9: x",
        b"(x): y",
    ],
)
def test_malformed_header_lines(line):
    with pytest.raises(HandshakeError):
        Response(head(b"HTTP/1.1 101 OK", line))


def test_header_count_limit():
    lines = [b"HTTP/1.1 101 OK"]
    lines += [b"X-" + str(index).encode("ascii") + b": v" for index in range(MAX_RESPONSE_HEADERS)]
    assert len(Response(head(*lines)).headers) == MAX_RESPONSE_HEADERS
    with pytest.raises(HandshakeError):
        Response(head(*(lines + [b"One-More: v"])))


def test_repeated_headers_count_toward_the_limit():
    lines = [b"HTTP/1.1 101 OK"] + [b"Set-Cookie: x"] * (MAX_RESPONSE_HEADERS + 1)
    with pytest.raises(HandshakeError):
        Response(head(*lines))


def test_folded_lines_do_not_count():
    lines = [b"HTTP/1.1 101 OK"] + [b"A: x", b" y"] * (MAX_RESPONSE_HEADERS // 2 + 1)
    assert Response(head(*lines)).get_list("a") == ["x y"] * (MAX_RESPONSE_HEADERS // 2 + 1)


def test_body():
    assert Response(HEAD, b"body").body == b"body"


# Comma-separated lists


@pytest.mark.parametrize(
    "value, items",
    [
        ("", []),
        ("a", ["a"]),
        ("a, b,c", ["a", "b", "c"]),
        (" , a ,, b , ", ["a", "b"]),
        ('a, "b, c", d', ["a", '"b, c"', "d"]),
        ('x; p="1,2", y', ['x; p="1,2"', "y"]),
        ('"a\\", b", c', ['"a\\", b"', "c"]),
        ('a\\, b', ["a\\", "b"]),
        ('"unterminated, x', ['"unterminated, x']),
    ],
)
def test_split_list(value, items):
    assert split_list(value) == items


def test_get_list():
    response = Response(head(b"HTTP/1.1 101 OK", b'Ext: a; x="1,2", b', b"Ext: c"))
    assert response.get_list("EXT") == ['a; x="1,2"', "b", "c"]
    assert response.get_list("missing") == []


# ResponseParser


@pytest.mark.parametrize("split", SPLITS)
def test_parser(split):
    parser, results, rest = parse_stream(split(HEAD))
    assert [response.headers for response in results] == [Response(HEAD).headers]
    assert parser.is_finished and parser.error is None
    assert rest == b""


@pytest.mark.parametrize("split", SPLITS)
def test_parser_leaves_trailing_bytes(split):
    trailing = b"\x81\x05hello" + b"\x00" * 100
    parser, results, rest = parse_stream(split(HEAD + trailing))
    assert len(results) == 1 and results[0].status_code == 101
    assert rest == trailing


def test_parser_takes_no_more_after_the_head():
    parser = ResponseParser()
    parser.feed(HEAD)
    with pytest.raises(ParseError):
        parser.feed(b"x")


def test_parser_head_at_the_limit():
    filler = b"X: " + b"y" * (MAX_RESPONSE_HEAD - len(HEAD) - 5) + b"\r\n"
    data = HEAD[:-2] + filler + b"\r\n"
    assert len(data) == MAX_RESPONSE_HEAD
    parser = ResponseParser()
    assert len(parser.feed(data)) == 1


@pytest.mark.parametrize("split", SPLITS)
def test_parser_head_over_the_limit(split):
    data = b"HTTP/1.1 101 OK\r\nX: " + b"y" * MAX_RESPONSE_HEAD
    parser, results, _ = parse_stream(split(data))
    assert results == []
    assert isinstance(parser.error, ParseOverflow)


def test_parser_head_one_byte_over_the_limit():
    filler = b"X: " + b"y" * (MAX_RESPONSE_HEAD - len(HEAD) - 4) + b"\r\n"
    parser = ResponseParser()
    assert parser.feed(HEAD[:-2] + filler + b"\r\n") == []
    assert isinstance(parser.error, ParseOverflow)


@pytest.mark.parametrize("split", SPLITS)
def test_parser_malformed_head(split):
    parser, results, _ = parse_stream(split(b"HTTP/1.1 101 OK\r\nbad line\r\n\r\n"))
    assert results == []
    assert isinstance(parser.error, HandshakeError)


# RFC 7230 3.5: a lone LF ends a line too

LF_HEAD = HEAD.replace(b"\r\n", b"\n")
MIXED_HEAD = (
    b"HTTP/1.1 101 Switching Protocols\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"\n"
)


@pytest.mark.parametrize(
    "data",
    [LF_HEAD, MIXED_HEAD, HEAD[:-2] + b"\n", LF_HEAD[:-1] + b"\r\n"],
    ids=["LF", "mixed", "CRLF then LF", "LF then CRLF"],
)
@pytest.mark.parametrize("split", SPLITS)
def test_parser_takes_bare_lf_line_ends(data, split):
    trailing = b"\x81\x05hello\n\n\r\n\r\n"
    parser, results, rest = parse_stream(split(data + trailing))
    assert parser.error is None
    assert [(response.status_code, response.headers, response.raw) for response in results] == [
        (101, Response(HEAD).headers, data)
    ]
    assert rest == trailing


def test_bare_lf_lines():
    response = Response(b"HTTP/1.1 101 OK\nA: 1\n  folded\r\nB: x\r\r\nC:\ty\n\n")
    assert response.status == "OK"
    assert response.headers == {"a": "1 folded", "b": "x\r", "c": "y"}


def test_a_lone_cr_does_not_end_a_line():
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 101 OK\rUpgrade: websocket\r\r") == []
    assert parser.error is None and not parser.is_finished


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_bare_lf_head_at_and_over_the_limit(ending):
    head = b"HTTP/1.1 101 OK" + ending
    filler = b"X: " + b"y" * (MAX_RESPONSE_HEAD - len(head) - 3 - 2 * len(ending)) + ending
    data = head + filler + ending
    assert len(data) == MAX_RESPONSE_HEAD
    assert len(ResponseParser().feed(data)) == 1
    data = head + b"y" + filler + ending
    parser = ResponseParser()
    assert parser.feed(data) == []
    assert isinstance(parser.error, ParseOverflow)
    assert str(parser.error) == "response head over {} bytes".format(MAX_RESPONSE_HEAD)


# -- The request, for the server's role --------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_request_head(split, newline):
    head = newline.join(
        [b"GET /chat?x=1 HTTP/1.1", b"Host: example.org", b"Upgrade: websocket", b"X-Many: a", b"x-many: b", b"", b""]
    )
    parser = RequestParser()
    results = []
    for piece in split(head + b"\x81\x00"):
        if parser.is_finished:
            break
        results.extend(parser.feed(piece))
    (request,) = results
    assert (request.method, request.path, request.version) == ("GET", "/chat?x=1", "HTTP/1.1")
    assert request.get("UPGRADE") == "websocket"
    assert request.get("x-many") == "a, b"
    assert request.raw_headers[-2:] == [("X-Many", "a"), ("x-many", "b")]


@pytest.mark.parametrize("line", [b"GET /", b"GET / HTTP/1.1 extra", b"HTTP/1.1 200 OK"])
def test_request_line_must_be_one(line):
    with pytest.raises(HandshakeError) as error:
        Request(line + b"\r\n\r\n")
    assert "not an HTTP request" in str(error.value)


def test_request_and_response_share_the_header_rules():
    for head_class, start in ((Request, b"GET / HTTP/1.1"), (Response, b"HTTP/1.1 101 Switching")):
        with pytest.raises(HandshakeError) as error:
            head_class(start + b"\r\nbad header\r\n\r\n")
        assert "malformed header line" in str(error.value)

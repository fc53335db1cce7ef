import pytest

from lomond.compression import Deflate, PerMessageDeflate
from lomond.constants import USER_AGENT
from lomond.errors import CompressionParameterError, HandshakeError
from lomond.handshake import Handshake, accept_key, header_value, host_header, is_token, make_key, normalize_headers
from lomond.response import Response

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def handshake(**options):
    options.setdefault("key", KEY)
    options.setdefault("agent", None)
    host = options.pop("host", "example.com")
    port = options.pop("port", 80)
    return Handshake(host, port, options.pop("resource", "/chat"), **options)


def request_lines(**options):
    data = handshake(**options).request()
    assert data.endswith(b"\r\n\r\n")
    return data[:-4].split(b"\r\n")


def response(status=b"101 Switching Protocols", **headers):
    fields = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": ACCEPT,
    }
    fields.update(headers)
    lines = [b"HTTP/1.1 " + status]
    for name, value in sorted(fields.items()):
        if value is not None:
            lines.append(name.encode("ascii") + b": " + value.encode("ascii"))
    return Response(b"\r\n".join(lines) + b"\r\n\r\n")


def assert_rejected(resp, match, error=HandshakeError, **options):
    with pytest.raises(error) as info:
        handshake(**options).validate(resp)
    assert match in str(info.value)


# RFC 6455 4.1: the key


def test_make_key():
    assert make_key(b"the sample nonce") == KEY
    assert make_key(bytes(bytearray(range(16)))) == b"AAECAwQFBgcICQoLDA0ODw=="


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_make_key_needs_16_bytes(size):
    with pytest.raises(ValueError):
        make_key(b"x" * size)


def test_accept_key():
    assert accept_key(KEY) == ACCEPT


# The request


def test_request():
    assert handshake().request() == (
        b"GET /chat HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"\r\n"
    )


@pytest.mark.parametrize(
    "host, port, secure, expected",
    [
        ("example.com", 80, False, "example.com"),
        ("example.com", 443, True, "example.com"),
        ("example.com", 8080, False, "example.com:8080"),
        ("example.com", 443, False, "example.com:443"),
        ("example.com", 80, True, "example.com:80"),
        ("127.0.0.1", 9000, False, "127.0.0.1:9000"),
        ("::1", 80, False, "[::1]"),
        ("::1", 8080, False, "[::1]:8080"),
        ("[::1]", 8443, True, "[::1]:8443"),
        ("fe80::1%eth0", 443, True, "[fe80::1%eth0]"),
    ],
)
def test_host(host, port, secure, expected):
    assert host_header(host, port, secure) == expected
    lines = request_lines(host=host, port=port, secure=secure)
    assert lines[1] == b"Host: " + expected.encode("ascii")


def test_resource():
    assert request_lines(resource="/feed?x=1&y=2")[0] == b"GET /feed?x=1&y=2 HTTP/1.1"


def test_resource_with_a_line_break():
    with pytest.raises(ValueError):
        handshake(resource="/x HTTP/1.1\r\nEvil: yes").request()


@pytest.mark.parametrize(
    "options",
    [
        {"agent": u"Bot\r\nEvil: yes"},
        {"agent": u"Bot\u20ac"},
        {"origin": u"https://ex\nample"},
        {"origin": u"https://\u4f8b\u3048.jp"},
        {"authorization": u"Basic \x01"},
        {"resource": u"/caf\u00e9"},
        {"resource": u"/a b"},
        {"resource": u""},
        {"host": u"b\u00fccher.example"},
        {"protocols": [u"chat\r\n"]},
        {"key": None},
    ],
)
def test_bad_values_fail_when_the_handshake_is_made(options):
    # Not later, in request(): the driver calls it inside its loop.
    with pytest.raises((ValueError, TypeError)):
        handshake(**options)


def test_origin():
    assert b"Origin: https://example.com" in request_lines(origin="https://example.com")


def test_protocols():
    lines = request_lines(protocols=["chat", "superchat"])
    assert b"Sec-WebSocket-Protocol: chat, superchat" in lines
    assert not [line for line in request_lines() if line.startswith(b"Sec-WebSocket-Protocol")]


def test_extension_offer():
    lines = request_lines(compression=PerMessageDeflate())
    assert b"Sec-WebSocket-Extensions: " + PerMessageDeflate().offer().encode("ascii") in lines
    assert not [line for line in request_lines() if line.startswith(b"Sec-WebSocket-Extensions")]


def test_authorization():
    assert b"Authorization: Basic dXNlcjpwYXNz" in request_lines(authorization="Basic dXNlcjpwYXNz")


def test_user_agent():
    assert b"User-Agent: " + USER_AGENT.encode("ascii") in request_lines(agent=USER_AGENT)
    assert b"User-Agent: Bot/1.0" in request_lines(agent="Bot/1.0")
    assert not [line for line in request_lines() if line.startswith(b"User-Agent")]
    assert Handshake("h", 80, "/", key=KEY).agent == USER_AGENT


def test_extra_headers_come_last():
    lines = request_lines(headers=[(b"X-One", b"1"), (b"X-Two", b"2")], agent="A")
    assert lines[-3:] == [b"User-Agent: A", b"X-One: 1", b"X-Two: 2"]


@pytest.mark.parametrize(
    "name, option, value",
    [
        (b"Host", "host", "example.com"),
        (b"user-agent", "agent", "Default"),
        (b"ORIGIN", "origin", "https://default"),
        (b"Authorization", "authorization", "Basic default"),
    ],
)
def test_extra_headers_replace_generated_ones(name, option, value):
    options = {option: value} if option != "host" else {}
    lines = request_lines(headers=[(name, b"given")], **options)
    matching = [line for line in lines if line.lower().startswith(name.lower() + b":")]
    assert matching == [name + b": given"]


# Extra headers


def test_normalize_headers():
    assert normalize_headers(None) == []
    assert normalize_headers({"X-A": "1"}) == [(b"X-A", b"1")]
    pairs = [("X-A", b"1"), (b"X-B", u"\xe9")]
    assert normalize_headers(pairs) == [(b"X-A", b"1"), (b"X-B", b"\xe9")]
    assert normalize_headers((pair for pair in [(b"X-C", b"")])) == [(b"X-C", b"")]


@pytest.mark.parametrize(
    "name, option",
    [
        ("Sec-WebSocket-Key", "generated"),
        (b"sec-websocket-key", "generated"),
        ("Sec-WebSocket-Protocol", "protocols option"),
        ("SEC-WEBSOCKET-EXTENSIONS", "compress option"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Accept", "response header"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
    ],
)
def test_managed_headers(name, option):
    with pytest.raises(ValueError) as info:
        normalize_headers([(name, "x")])
    assert option in str(info.value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("X-A", "a\r\nEvil: yes"),
        ("X-A", "a\nb"),
        ("X-A", "a\rb"),
        ("X-A", "a\0b"),
        ("X-A", b"a\r\nb"),
        ("X-A\r\nEvil", "x"),
        ("", "x"),
        ("X A", "x"),
        ("X:A", "x"),
        ("X-A", u"\u20ac"),
        ("X(A", "x"),
        ("X/A", "x"),
        ("X@A", "x"),
        ("X=A", "x"),
        ('X"A', "x"),
        ("X,A", "x"),
        ("X\tA", "x"),
        (u"X-\u00c4", "x"),
        (b"X-\xc4", "x"),
        ("X-A", "a\x01b"),
        ("X-A", "a\x0bb"),
        ("X-A", "a\x0cb"),
        ("X-A", "a\x1fb"),
        ("X-A", "a\x7fb"),
        ("X-A", b"a\x00b"),
    ],
)
def test_invalid_headers(name, value):
    with pytest.raises(ValueError):
        normalize_headers([(name, value)])


def test_every_tchar_may_be_in_a_name():
    name = "!#$%&'*+-.^_`|~09AZaz"
    assert is_token(name)
    assert normalize_headers([(name, "x")]) == [(name.encode("ascii"), b"x")]


@pytest.mark.parametrize("value, data", [("a\tb", b"a\tb"), (b"\x80\xff", b"\x80\xff"), (u"caf\u00e9", b"caf\xe9"), ("", b"")])
def test_values_that_can_be_sent(value, data):
    assert header_value(value, "X-A") == data


@pytest.mark.parametrize("value", [u"Bearer S3cr3t\r\n", u"Bearer S3cr3t\u20ac", b"Bearer S3cr3t\x00"])
def test_value_errors_name_the_header_but_hide_the_value(value):
    with pytest.raises(ValueError) as error:
        normalize_headers([("Authorization", value)])
    message = str(error.value)
    assert "Authorization" in message
    assert "S3cr3t" not in message


def test_value_errors_say_what_to_do():
    with pytest.raises(ValueError) as error:
        header_value(u"\u20ac", "Origin")
    assert "encode it first" in str(error.value)
    with pytest.raises(ValueError) as error:
        header_value(u"a\nb", "Origin")
    assert "'\\n'" in str(error.value) and "one line" in str(error.value)


@pytest.mark.parametrize("name, value", [("X-A", 1), ("X-A", None), (1, "x"), ("X-A", ["x"])])
def test_header_types(name, value):
    with pytest.raises(TypeError):
        normalize_headers({name: value})


# RFC 6455 4.1: checking the response


def test_validate():
    assert handshake().validate(response()) == (None, set(), None)


@pytest.mark.parametrize(
    "headers",
    [
        {"Upgrade": "WebSocket"},
        {"Upgrade": " WEBSOCKET "},
        {"Connection": "upgrade"},
        {"Connection": "keep-alive, Upgrade"},
        {"Connection": "Upgrade, close"},
        {"Sec-WebSocket-Accept": " " + ACCEPT + " "},
        {"Sec-WebSocket-Protocol": ""},
        {"Sec-WebSocket-Extensions": ""},
    ],
)
def test_validate_accepts(headers):
    assert handshake().validate(response(**headers)) == (None, set(), None)


@pytest.mark.parametrize(
    "status, match",
    [
        (b"200 OK", "200 OK"),
        (b"301 Moved", "301"),
        (b"404", "404 instead of 101"),
        (b"100 Continue", "100"),
    ],
)
def test_not_101(status, match):
    assert_rejected(response(status), match)


@pytest.mark.parametrize("value", [None, "", "h2c", "websocket, h2c", "web socket"])
def test_bad_upgrade(value):
    assert_rejected(response(Upgrade=value), "upgrade")


@pytest.mark.parametrize("value", [None, "", "keep-alive", "close", "upgrades", '"upgrade"'])
def test_bad_connection(value):
    assert_rejected(response(Connection=value), "Connection")


@pytest.mark.parametrize(
    "value, match",
    [
        (None, "missing"),
        ("", "does not match"),
        (ACCEPT.lower(), "does not match"),
        (ACCEPT.upper(), "does not match"),
        (ACCEPT[:-1], "does not match"),
        (accept_key(b"x" * 24), "does not match"),
    ],
)
def test_bad_accept(value, match):
    assert_rejected(response(**{"Sec-WebSocket-Accept": value}), match)


def test_protocol_chosen():
    resp = response(**{"Sec-WebSocket-Protocol": "superchat"})
    assert handshake(protocols=["chat", "superchat"]).validate(resp) == ("superchat", set(), None)


def test_protocol_not_offered():
    resp = response(**{"Sec-WebSocket-Protocol": "other"})
    assert_rejected(resp, "not offered", protocols=["chat"])


def test_protocol_chosen_when_none_offered():
    assert_rejected(response(**{"Sec-WebSocket-Protocol": "chat"}), "not offered")


def test_more_than_one_protocol():
    resp = response(**{"Sec-WebSocket-Protocol": "chat, superchat"})
    assert_rejected(resp, "more than one", protocols=["chat", "superchat"])


def test_no_protocol_chosen():
    assert handshake(protocols=["chat"]).validate(response())[0] is None


def test_deflate_accepted():
    resp = response(**{"Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=10"})
    protocol, extensions, deflate = handshake(compression=PerMessageDeflate()).validate(resp)
    assert extensions == set(["permessage-deflate"])
    assert isinstance(deflate, Deflate) and deflate.decompress_wbits == 10


def test_deflate_declined():
    assert handshake(compression=PerMessageDeflate()).validate(response()) == (None, set(), None)


@pytest.mark.parametrize("compression", [None, PerMessageDeflate()])
def test_extension_not_offered(compression):
    resp = response(**{"Sec-WebSocket-Extensions": "x-webkit-deflate-frame"})
    assert_rejected(resp, "not offered", compression=compression)


def test_deflate_without_an_offer():
    assert_rejected(response(**{"Sec-WebSocket-Extensions": "permessage-deflate"}), "not offered")


def test_deflate_twice():
    resp = response(**{"Sec-WebSocket-Extensions": "permessage-deflate, permessage-deflate"})
    assert_rejected(resp, "twice", CompressionParameterError, compression=PerMessageDeflate())


def test_deflate_with_bad_parameters():
    resp = response(**{"Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=7"})
    assert_rejected(
        resp, "server_max_window_bits", CompressionParameterError, compression=PerMessageDeflate()
    )


@pytest.mark.parametrize("value", ["permessage-deflate;", "permessage-deflate; x=\"", "a b"])
def test_malformed_extensions(value):
    resp = response(**{"Sec-WebSocket-Extensions": value})
    assert_rejected(resp, "malformed", compression=PerMessageDeflate())

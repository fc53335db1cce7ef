# -*- coding: utf-8 -*-
"""WebSocket URLs: parsing, credentials, redaction and redirects."""

import pytest
import six

from lomond.handshake import Handshake
from lomond.url import RedirectError, WebSocketURL, ascii_host, quote_resource, redact

SECRET = "S3cr3tPa55"


@pytest.mark.parametrize(
    "url, scheme, host, port, resource",
    [
        ("ws://example.org", "ws", "example.org", 80, "/"),
        ("WSS://Example.org/feed?x=1&y=2", "wss", "example.org", 443, "/feed?x=1&y=2"),
        ("ws://[::1]:9000/a/b", "ws", "::1", 9000, "/a/b"),
        ("wss://user:pw@host:8443/", "wss", "host", 8443, "/"),
        ("ws://host/?", "ws", "host", 80, "/"),
    ],
)
def test_parse(url, scheme, host, port, resource):
    parsed = WebSocketURL(url)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.resource) == (scheme, host, port, resource)


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://example.org/", "unsupported URL scheme"),
        ("example.org", "unsupported URL scheme"),
        ("ws:///path", "has no host"),
        ("ws://host/path#frag", "fragment"),
        ("ws://host/#", "fragment"),
        ("ws://host:99999/", "invalid port"),
        ("ws://host:port/", "invalid port"),
        ("ws://host:80:80/", "more than one ':'"),
        ("ws://[::1]:80:80/", "invalid port"),
        (u"ws://host:\u0668\u0660/", "invalid port"),  # Arabic-Indic 80
        (u"ws://host:\uff18\uff10/", "invalid port"),  # fullwidth 80
        (u"ws://host:\u00b2/", "invalid port"),  # superscript 2: isdigit() but not int()
        ("ws://host:-1/", "invalid port"),
        ("ws://host:+80/", "invalid port"),
        ("ws://host: 80/", "invalid port"),
        ("ws://host:0/", "invalid port"),
        ("ws://user:pw@/x", "has no host"),
        ("ws://user@:80/x", "has no host"),
        ("ws://@/", "has no host"),
        ("ws://:80/", "has no host"),
        ("ws:host/", "has no host"),
        ("ws://[::1/", "without a ']'"),
        ("ws://[abc]/", "other than an IPv6 address"),
        ("ws://[]/", "other than an IPv6 address"),
        ("ws://ho st/", "invalid host"),
        ("ws://host%41/", "percent-escape"),
        ("ws://a<b/", "invalid host"),
        (" ws://host/", "unsupported URL scheme"),
    ],
)
def test_invalid(url, message):
    with pytest.raises(ValueError) as error:
        WebSocketURL(url)
    assert message in str(error.value)


def test_credentials_are_decoded_and_redacted():
    parsed = WebSocketURL("wss://al%40ice:p%3Ass@host/x")
    assert (parsed.username, parsed.password) == ("al@ice", "p:ss")
    assert parsed.authorization() == "Basic YWxAaWNlOnA6c3M="
    assert parsed.redacted == "wss://al%40ice:***@host/x"
    assert "p%3Ass" not in repr(parsed)


def test_no_credentials():
    parsed = WebSocketURL("ws://host/")
    assert parsed.authorization() is None
    assert parsed.redacted == "ws://host/"


def test_user_without_password():
    assert WebSocketURL("ws://bob@host/").authorization() == "Basic Ym9iOg=="


@pytest.mark.parametrize(
    "start, location, expected",
    [
        ("ws://a/x/y", "z", "ws://a/x/z"),
        ("ws://a/x/y", "/root?q=1", "ws://a/root?q=1"),
        ("ws://a/x", "ws://b:81/p", "ws://b:81/p"),
        ("ws://a/x", "wss://b/p", "wss://b/p"),
        ("ws://a/x", "http://b/p", "ws://b/p"),
        ("wss://a/x", "https://b/p", "wss://b/p"),
        ("wss://a/x", "//b/p", "wss://b/p"),
        ("wss://a/x", "/p#frag", "wss://a/p"),
    ],
)
def test_redirect(start, location, expected):
    assert WebSocketURL(start).redirect(location).url == expected


@pytest.mark.parametrize(
    "start, location",
    [("wss://a/", "ws://b/"), ("wss://a/", "http://a/"), ("ws://a/", "ftp://b/"), ("ws://a/", "mailto:x@y")],
)
def test_redirect_refused(start, location):
    with pytest.raises(RedirectError):
        WebSocketURL(start).redirect(location)


def test_same_host():
    assert WebSocketURL("ws://A/").same_host(WebSocketURL("ws://a:80/x"))
    assert not WebSocketURL("ws://a/").same_host(WebSocketURL("ws://a:81/"))
    assert not WebSocketURL("ws://a/").same_host(WebSocketURL("ws://b/"))


@pytest.mark.parametrize(
    "url, port",
    [("ws://[::1]/", 80), ("ws://host:/", 80), ("wss://[::1]:8443/x", 8443)],
)
def test_port_forms(url, port):
    assert WebSocketURL(url).port == port


@pytest.mark.parametrize("url", ["ws://[::1]x/", "ws://[::1]:x/", "ws://host:0/"])
def test_bad_port_forms(url):
    with pytest.raises(ValueError):
        WebSocketURL(url)


def test_redirect_to_an_invalid_url():
    with pytest.raises(RedirectError) as error:
        WebSocketURL("ws://a/").redirect("ws://b:99999/")
    assert "bad redirect location" in str(error.value)


# The path and query on the wire


@pytest.mark.parametrize(
    "path, resource",
    [
        (u"/chat/\u20ac?q=\u4e2d", "/chat/%E2%82%AC?q=%E4%B8%AD"),
        (u"/\U0001f600", "/%F0%9F%98%80"),
        (u"/caf\u00e9", "/caf%C3%A9"),
        (u"/a b?c d", "/a%20b?c%20d"),
        (u"/a%20b?x=%E2%82%AC", "/a%20b?x=%E2%82%AC"),
        (u"/100%", "/100%25"),
        (u"/%zz%4", "/%25zz%254"),
        (u'/"<>\\^`{|}', "/%22%3C%3E%5C%5E%60%7B%7C%7D"),
        (u"/p;a=1/:@!$&'()*+,=~._-?q=/?:@[]", "/p;a=1/:@!$&'()*+,=~._-?q=/?:@[]"),
    ],
)
def test_resource_is_percent_encoded(path, resource):
    url = u"ws://host" + path
    parsed = WebSocketURL(url)
    assert parsed.resource == resource
    assert parsed.url == url
    assert quote_resource(resource) == resource  # encoding twice changes nothing


def test_a_lone_surrogate_in_the_path():
    if six.PY2:  # Python 2's codec encodes it; the result is still ASCII
        assert quote_resource(u"/\ud800") == "/%ED%A0%80"
    else:
        with pytest.raises(ValueError):
            WebSocketURL(u"ws://host/\ud800")


CONTROLS = [six.unichr(code) for code in list(range(0x20)) + [0x7F]]


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize(
    "template", [u"ws://host/a{}b", u"ws://host/?q={}", u"ws://ho{}st/", u"ws://user{}:pw@host/", u"ws://host/{}"]
)
def test_control_characters_are_refused(template, char):
    with pytest.raises(ValueError) as error:
        WebSocketURL(template.format(char))
    message = str(error.value)
    assert "control character" in message
    assert not [c for c in message if c in CONTROLS]
    assert repr(char) in message


def test_a_control_character_in_the_password_is_not_shown():
    with pytest.raises(ValueError) as error:
        WebSocketURL(u"ws://user:S3cr\n3t@host/")
    assert "in its password" in str(error.value)
    assert "S3cr" not in str(error.value)


# Host names: IDNA (RFC 3490)


@pytest.mark.parametrize(
    "url, host",
    [
        (u"ws://b\u00fccher.example/", "xn--bcher-kva.example"),
        (u"ws://B\u00dcCHER.Example:8080/", "xn--bcher-kva.example"),
        (u"ws://b\u00fccher\u3002example/", "xn--bcher-kva.example"),  # ideographic full stop
        (u"wss://\u4f8b\u3048.\u30c6\u30b9\u30c8/", "xn--r8jz45g.xn--zckzah"),
        (u"ws://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", "localhost"),  # fullwidth
        (u"ws://xn--bcher-kva.example/", "xn--bcher-kva.example"),
        (u"ws://user:p\u00e4ss@b\u00fccher.example/", "xn--bcher-kva.example"),
    ],
)
def test_international_host_names_become_ascii(url, host):
    parsed = WebSocketURL(url)
    assert parsed.host == host
    assert type(parsed.host) is str
    assert parsed.url == url


def test_the_request_carries_the_ascii_forms():
    parsed = WebSocketURL(u"wss://b\u00fccher.example:8443/caf\u00e9?q=\u20ac")
    request = Handshake(parsed.host, parsed.port, parsed.resource, secure=True, key=b"k" * 24).request()
    assert request.startswith(b"GET /caf%C3%A9?q=%E2%82%AC HTTP/1.1\r\nHost: xn--bcher-kva.example:8443\r\n")


@pytest.mark.parametrize(
    "name",
    [u"a..\u00fc", u"\u00fc" * 64 + u".example", u"\ufe6b", u"b\u00fccher\uff0fx", u"a\u3000b"],
)
def test_invalid_international_names(name):
    with pytest.raises(ValueError):
        ascii_host(name)
    with pytest.raises(ValueError) as error:
        WebSocketURL(u"ws://" + name + u"/")
    assert "invalid host" in str(error.value)


def test_same_host_compares_ascii_forms():
    assert WebSocketURL(u"ws://b\u00fccher.example/").same_host(WebSocketURL("ws://XN--BCHER-KVA.example/"))


# The type of the URL


def test_url_type():
    with pytest.raises(TypeError):
        WebSocketURL(None)
    if six.PY2:  # a byte string is read as UTF-8
        assert WebSocketURL(u"ws://h/\u20ac".encode("utf-8")).resource == "/%E2%82%AC"
    else:
        with pytest.raises(TypeError):
            WebSocketURL(b"ws://h/")


def test_percent_escapes_in_credentials_are_utf8():
    parsed = WebSocketURL(u"ws://us%C3%A9r:p%C3%A4ss@host/")
    assert (parsed.username, parsed.password) == (u"us\u00e9r", u"p\u00e4ss")


# Redaction


@pytest.mark.parametrize(
    "text, redacted",
    [
        ("wss://user:pw@host/x", "wss://user:***@host/x"),
        ("ws://user:p@ss@host/", "ws://user:***@host/"),
        ("ws://user:@host/", "ws://user:***@host/"),
        ("ws://user@host/", "ws://user@host/"),
        ("ws://host:8080/a/@b:c", "ws://host:8080/a/@b:c"),
        ("ws://host/?next=u:p@q", "ws://host/?next=u:p@q"),
        ("ws://user:pa/ss@host/x", "ws://user:***@host/x"),
        ("ws://user:pa?ss@host/x", "ws://user:***@host/x"),
        ("ws://user:pa#ss@host/x", "ws://user:***@host/x"),
        ("ws://user:pw@host:80:80/", "ws://user:***@host:80:80/"),
        ("ws://user:pw@/x", "ws://user:***@/x"),
        ("http://user:pw@proxy:abc", "http://user:***@proxy:abc"),
        ("user:pw@proxy:3128", "user:***@proxy:3128"),
        ("user:pw@proxy", "user:***@proxy"),
        ("//user:pw@host/", "//user:***@host/"),
        ("proxy:3128", "proxy:3128"),
        ("not a url", "not a url"),
        ("", ""),
        (u"ws://\u00fc:p\u00e4ss@h\u00f6st/\u20ac", u"ws://\u00fc:***@h\u00f6st/\u20ac"),
    ],
)
def test_redact(text, redacted):
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "url",
    [
        u"ws://user:{}@host:80:80/",
        u"ws://user:{}@host:abc/",
        u"ws://user:{}@/x",
        u"ws://user:{}@[::1/",
        u"ws://user:{}@ho st/",
        u"ws://user:{}@host/#x",
        u"http://user:{}@host/",
        u"ws://user:{}\r\n@host/",
        u"ws://user:{}/x@host:abc/",
    ],
)
def test_errors_never_show_the_password(url):
    with pytest.raises(ValueError) as error:
        WebSocketURL(url.format(SECRET))
    assert SECRET not in str(error.value)
    assert "***" in str(error.value)


@pytest.mark.parametrize(
    "start, location",
    [
        ("wss://a/", u"ws://user:{}@b/"),
        ("wss://a/", u"http://user:{}@b/"),
        ("ws://a/", u"ftp://user:{}@b/"),
        ("ws://a/", u"ws://user:{}@b:99999/"),
        ("ws://a/", u"ws://user:{}@[::1/"),
        ("ws://a/", u"ws://user:{}@b/\x01"),
    ],
)
def test_refused_redirects_never_show_the_password(start, location):
    with pytest.raises(RedirectError) as error:
        WebSocketURL(start).redirect(location.format(SECRET))
    assert SECRET not in str(error.value)
    assert "\x01" not in str(error.value)


def test_repr_hides_the_password():
    parsed = WebSocketURL(u"ws://user:{}@host/".format(SECRET))
    assert SECRET not in repr(parsed)
    assert SECRET not in parsed.redacted


def test_redirect_to_a_location_sent_as_utf8():
    # Header bytes arrive decoded as latin-1.
    location = u"/caf\u00e9/\u20ac".encode("utf-8").decode("latin-1")
    assert WebSocketURL("ws://a/x").redirect(location).resource == "/caf%C3%A9/%E2%82%AC"
    assert WebSocketURL("ws://a/x").redirect(u"/caf\u00e9").resource == "/caf%C3%A9"

"""WebSocket URLs: parsing, credentials, redaction and redirects."""

import pytest

from lomond.url import RedirectError, WebSocketURL


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

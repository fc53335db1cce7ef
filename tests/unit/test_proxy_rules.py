# -*- coding: utf-8 -*-
"""Choosing a proxy (environment, NO_PROXY) and the CONNECT exchange."""

import pytest

from lomond.proxy import ProxyURL, choose_proxy, is_bypassed
from lomond.url import WebSocketURL


@pytest.mark.parametrize(
    "host, port, no_proxy, bypassed",
    [
        ("example.com", 80, "example.com", True),
        ("a.example.com", 80, "example.com", True),
        ("a.example.com", 80, ".example.com", True),
        ("example.com", 80, ".example.com", True),
        ("a.example.com", 80, "*.example.com", True),
        ("badexample.com", 80, "example.com", False),
        ("EXAMPLE.com", 80, "example.COM", True),
        ("example.com.", 80, "example.com", True),
        ("anything", 1, "*", True),
        ("anything", 1, "", False),
        ("host", 8080, "host:8080", True),
        ("host", 80, "host:8080", False),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("11.1.2.3", 80, "10.0.0.0/8", False),
        ("192.168.1.7", 80, "192.168.1.7", True),
        ("192.168.1.7", 443, "192.168.1.7:443", True),
        ("192.168.1.7", 80, "192.168.1.7:443", False),
        ("::1", 80, "::1", True),
        ("::1", 80, "[::1]", True),
        ("::1", 443, "[::1]:443", True),
        ("::1", 80, "[::1]:443", False),
        ("fd00::5", 80, "fd00::/8", True),
        ("fe80::5", 80, "fd00::/8", False),
        ("10.0.0.1", 80, "fd00::/8", False),
        ("127.0.0.1", 80, "localhost", False),
        ("host", 80, "other, host", True),
        ("host", 80, "other host", True),
        ("10.1.2.3", 80, "10.0.0.0/99", False),
        ("10.1.2.3", 80, "nonsense/8", False),
    ],
)
def test_no_proxy(host, port, no_proxy, bypassed):
    assert is_bypassed(host, port, no_proxy) is bypassed


def test_choose_from_a_dict():
    proxies = {"http": "http://plain:3128", "https": "http://secure:3129", "no": "internal"}
    assert choose_proxy(False, "example.org", 80, proxies).host == "plain"
    assert choose_proxy(True, "example.org", 443, proxies).host == "secure"
    assert choose_proxy(True, "internal", 443, proxies) is None
    assert choose_proxy(True, "example.org", 443, {}) is None
    assert choose_proxy(True, "example.org", 443, {"all": "socks5://s"}).scheme == "socks5"


def test_choose_from_the_environment(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:1")
    monkeypatch.setenv("https_proxy", "http://lower:2")
    monkeypatch.setenv("http_proxy", "http://plain:3")
    monkeypatch.setenv("no_proxy", "skip.me")
    assert choose_proxy(True, "example.org", 443, None).host == "lower"
    assert choose_proxy(False, "example.org", 80, None).host == "plain"
    assert choose_proxy(False, "skip.me", 80, None) is None


def test_proxy_url():
    proxy = ProxyURL("http://us%20er:p%40ss@proxy.example:3128")
    assert (proxy.host, proxy.port, proxy.username, proxy.password) == ("proxy.example", 3128, "us er", "p@ss")
    assert proxy.url == "http://proxy.example:3128"
    assert proxy.authorization() == "Basic dXMgZXI6cEBzcw=="
    assert ProxyURL("proxy:8080").scheme == "http"
    assert ProxyURL("https://p").port == 443
    assert ProxyURL("socks5h://p").port == 1080
    assert ProxyURL("http://[::1]:3128").url == "http://[::1]:3128"
    assert ProxyURL("http://p").authorization() is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://proxy",
        "http://",
        "socks6://p",
        "http://p:80:80",
        "http://p:abc",
        u"http://p:\u0663\u0661\u0662\u0668",
        "http://p:0",
        "http://user:pw@",
        "http://p\r\n:3128",
        "http://[::1:3128",
        u"http://a..\u00fc:3128",
    ],
)
def test_bad_proxy_url(url):
    with pytest.raises(ValueError):
        ProxyURL(url)


def test_international_proxy_host():
    proxy = ProxyURL(u"http://user:pw@b\u00fccher.example:3128")
    assert proxy.host == "xn--bcher-kva.example"
    assert proxy.url == "http://xn--bcher-kva.example:3128"


SECRET = "S3cr3tPa55"


@pytest.mark.parametrize(
    "url",
    [
        u"http://user:{}@proxy:abc",
        u"user:{}@proxy:3128x",
        u"http://user:{}@",
        u"ftp://user:{}@proxy",
        u"http://user:{}\n@proxy",
        u"http://user:{}@proxy:80:80",
        u"socks5://user:{}/x@proxy:1080",
        u"http://user:{}@[::1",
    ],
)
def test_proxy_errors_never_show_the_password(url):
    with pytest.raises(ValueError) as error:
        ProxyURL(url.format(SECRET))
    assert SECRET not in str(error.value)
    assert "***" in str(error.value)


def clear_proxy_environment(monkeypatch):
    for name in list(__import__("os").environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


def test_a_malformed_proxy_from_the_environment(monkeypatch):
    clear_proxy_environment(monkeypatch)
    monkeypatch.setenv("https_proxy", "http://user:{}@proxy:abc".format(SECRET))
    with pytest.raises(ValueError) as error:
        choose_proxy(True, "example.org", 443, None)
    assert SECRET not in str(error.value)
    assert "https_proxy" in str(error.value)


@pytest.mark.parametrize(
    "host, no_proxy",
    [
        ("xn--bcher-kva.example", u"b\u00fccher.example"),
        (u"b\u00fccher.example", "xn--bcher-kva.example"),
        ("a.xn--bcher-kva.example", u".B\u00dcCHER.example"),
        ("a.xn--bcher-kva.example", u"*.b\u00fccher.example"),
        ("xn--bcher-kva.example", u"b\u00fccher\u3002example:80"),
        ("localhost", u"\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54"),
    ],
)
def test_no_proxy_compares_ascii_forms(host, no_proxy):
    assert is_bypassed(host, 80, no_proxy)


def test_no_proxy_as_utf8_bytes():
    # Python 2's os.environ holds byte strings.
    assert is_bypassed("xn--bcher-kva.example", 80, u"b\u00fccher.example".encode("utf-8"))


def test_an_invalid_no_proxy_name_matches_nothing():
    assert not is_bypassed("example.org", 80, u"a..\u00fc, \ufe6b")
    assert is_bypassed("example.org", 80, u"a..\u00fc, example.org")


def test_choose_proxy_with_an_international_name():
    host = WebSocketURL(u"wss://b\u00fccher.example/").host
    proxies = {"https": "http://p:1", "no": "xn--bcher-kva.example"}
    assert choose_proxy(True, host, 443, proxies) is None
    assert choose_proxy(True, "other.example", 443, proxies).host == "p"


def test_environment_rules_match_urllib(monkeypatch):
    try:
        from urllib.request import getproxies_environment
    except ImportError:  # Python 2.7
        from urllib import getproxies_environment

    from lomond.proxy import proxies_from_environment

    cases = [
        {"HTTP_PROXY": "http://upper", "http_proxy": "http://lower"},
        {"HTTPS_PROXY": "http://s", "NO_PROXY": "a,b", "all_proxy": "socks5://x"},
        {"HTTP_PROXY": "http://cgi", "REQUEST_METHOD": "GET"},
        {"HTTP_PROXY": "http://cgi", "http_proxy": "http://ok", "REQUEST_METHOD": "GET"},
        {"HTTPS_PROXY": "http://s", "https_proxy": ""},
        {"FTP_PROXY": "http://f", "Mixed_Proxy": "http://m"},
    ]
    for environ in cases:
        for name in list(__import__("os").environ):
            if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
                monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        assert proxies_from_environment(dict(environ)) == getproxies_environment(), environ

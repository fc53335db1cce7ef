"""Choosing a proxy (environment, NO_PROXY) and the CONNECT exchange."""

import pytest

from lomond.proxy import ProxyURL, choose_proxy, is_bypassed


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


@pytest.mark.parametrize("url", ["ftp://proxy", "http://", "socks6://p"])
def test_bad_proxy_url(url):
    with pytest.raises(ValueError):
        ProxyURL(url)


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

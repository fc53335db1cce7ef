"""What wss:// trusts by default: the system's store and OpenSSL's
SSL_CERT_FILE / SSL_CERT_DIR, and certifi's bundle; ``ssl_cafile``
replaces them all.

Each test makes a CA of its own and puts it where only one of the sources
can find it, then connects directly, through an HTTP CONNECT proxy, and
across a redirect.
"""

import os
import shutil
import subprocess

import certifi
import pytest
import trustme

from lomond.testing import ConnectProxy, WebSocketServer, echo

from .helpers import echo_once, names
from .servers import new_server_context

PATHS = ["direct", "proxy", "redirect"]


def tls_server(ca, handler=echo, handshake=True):
    context = new_server_context()
    ca.issue_cert(u"127.0.0.1").configure_cert(context)
    return WebSocketServer(handler, handshake=handshake, ssl_context=context)


def redirect_to(url):
    def handler(conn):
        conn.reject(302, "Found", headers=[("Location", url)])

    return handler


def connect(driver, ca, path, **options):
    """Connect to a TLS echo server signed by ``ca`` along ``path``;
    return the events."""
    with tls_server(ca) as server:
        if path == "direct":
            return driver.run(driver.WebSocket(server.url, **options), echo_once)
        if path == "proxy":
            with ConnectProxy() as proxy:
                received = driver.run(driver.WebSocket(server.url, proxies={"https": proxy.url()}, **options), echo_once)
            assert len(proxy.tunnels) == 1
            return received
        with tls_server(ca, redirect_to(server.url), handshake=False) as first:
            received = driver.run(driver.WebSocket(first.url, **options), echo_once)
        assert received[2].url == server.url
        return received


def assert_trusted(received):
    assert "ready" in names(received), received
    assert received[-1].graceful


def assert_refused(received):
    assert names(received) == ["connecting", "connect_fail"], received
    assert "verify failed" in received[-1].reason


@pytest.fixture
def clean_trust(monkeypatch, tmpdir):
    """No proxy from the environment; OpenSSL's variables pointing at
    empty places; certifi's bundle as it is."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    empty = tmpdir.mkdir("empty")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty.join("none.pem")))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    return tmpdir


def hashed_directory(ca, directory):
    """A directory where OpenSSL finds ``ca`` by its subject hash."""
    pem = directory.join("ca.pem")
    ca.cert_pem.write_to_path(str(pem))
    openssl = shutil.which("openssl") if hasattr(shutil, "which") else "openssl"
    subject_hash = subprocess.check_output([openssl or "openssl", "x509", "-hash", "-noout", "-in", str(pem)])
    os.symlink(str(pem), str(directory.join(subject_hash.decode("ascii").strip() + ".0")))
    return str(directory)


@pytest.mark.parametrize("path", PATHS)
def test_a_ca_named_by_ssl_cert_file(driver, path, clean_trust, monkeypatch):
    ca = trustme.CA()
    bundle = clean_trust.join("bundle.pem")
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert_trusted(connect(driver, ca, path))


@pytest.mark.parametrize("path", PATHS)
def test_a_ca_in_ssl_cert_dir(driver, path, clean_trust, monkeypatch):
    ca = trustme.CA()
    monkeypatch.setenv("SSL_CERT_DIR", hashed_directory(ca, clean_trust.mkdir("hashed")))
    assert_trusted(connect(driver, ca, path))


@pytest.mark.parametrize("path", PATHS)
def test_a_ca_in_certifi_bundle(driver, path, clean_trust, monkeypatch):
    ca = trustme.CA()
    bundle = clean_trust.join("certifi.pem")
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setattr(certifi, "where", lambda: str(bundle))
    assert_trusted(connect(driver, ca, path))


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_ca_is_refused(driver, path, clean_trust):
    received = connect(driver, trustme.CA(), "direct" if path == "redirect" else path)
    assert_refused(received)


def test_ssl_cafile_replaces_every_default(driver, clean_trust, monkeypatch):
    trusted_by_default = trustme.CA()
    bundle = clean_trust.join("bundle.pem")
    trusted_by_default.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    other = trustme.CA()
    other_file = clean_trust.join("other.pem")
    other.cert_pem.write_to_path(str(other_file))
    assert_refused(connect(driver, trusted_by_default, "direct", ssl_cafile=str(other_file)))
    assert_trusted(connect(driver, other, "direct", ssl_cafile=str(other_file)))


def test_a_given_context_is_used_as_it_is(driver, clean_trust, monkeypatch):
    import ssl

    ca = trustme.CA()
    bundle = clean_trust.join("bundle.pem")
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    bare = ssl.SSLContext(getattr(ssl, "PROTOCOL_TLS_CLIENT", ssl.PROTOCOL_SSLv23))
    bare.verify_mode = ssl.CERT_REQUIRED  # and no CA at all: nothing is trusted
    assert_refused(connect(driver, ca, "direct", ssl_context=bare))

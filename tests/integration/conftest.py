"""Fixtures for tests against real sockets on the loopback interface."""

import socket
import sys

import pytest
import trustme

from lomond.testing import WebSocketServer, echo

from .drivers import DRIVERS
from .servers import new_server_context

# Python 2.7 can't parse async code (and has no lomond.aio).
collect_ignore = ["test_aio.py"] if sys.version_info[0] < 3 else []


@pytest.fixture(scope="session")
def ca():
    """A certificate authority made for the test run."""
    return trustme.CA()


@pytest.fixture(scope="session")
def server_ssl_context(ca):
    """A TLS server context with a certificate for 127.0.0.1 and localhost."""
    context = new_server_context()
    ca.issue_cert(u"127.0.0.1", u"localhost", u"::1").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def ca_file(ca, tmpdir_factory):
    """The test CA's certificate as a file, for ssl_cafile."""
    path = tmpdir_factory.mktemp("ca").join("ca.pem")
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def tls_echo_server(server_ssl_context):
    with WebSocketServer(echo, ssl_context=server_ssl_context) as server:
        yield server


@pytest.fixture
def echo_server():
    with WebSocketServer(echo) as server:
        yield server
    assert not server.errors


@pytest.fixture
def free_port():
    """A port nothing listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def has_ipv6():
    if not socket.has_ipv6:
        return False
    try:
        sock = socket.socket(socket.AF_INET6)
        sock.bind(("::1", 0))
        sock.close()
        return True
    except (OSError, socket.error):
        return False


@pytest.fixture(params=DRIVERS, ids=lambda driver: driver.name)
def driver(request):
    """Each driver in turn: the blocking WebSocket, and lomond.aio's
    (Python 3.8+). See drivers.py."""
    return request.param

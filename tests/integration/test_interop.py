"""Interoperability with independent servers: the websockets package,
aiohttp, Tornado and the node.js ws package, without compression (with
it: test_compression_peers.py).

The test extra installs the Python peers on Python 3.8+; there a missing
one is an error, not a skip. The node peer is installed with npm (see
peers.NODE_INSTALL); a machine without node skips it.
"""

import sys

import pytest

if sys.version_info < (3, 8):
    pytest.skip("the independent peers are for Python 3.8+", allow_module_level=True)

from .drivers import exchange  # noqa: E402
from .helpers import names  # noqa: E402
from .peers import AiohttpServer, NodeServer, TornadoServer, WebsocketsServer, node_peer_missing  # noqa: E402


def node_marks():
    """Skip where node is missing; where only the ws package is missing,
    test_the_node_peer_is_installed is the one failure that says so."""
    missing = node_peer_missing()
    if missing is None:
        return []
    kind, reason = missing
    if kind == "not installed":
        reason = "the node.js ws peer is not installed: see test_the_node_peer_is_installed"
    return [pytest.mark.skip(reason=reason)]


def test_the_node_peer_is_installed():
    missing = node_peer_missing()
    if missing is not None:
        kind, reason = missing
        if kind == "no node":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)


PEERS = {
    "websockets": lambda: WebsocketsServer(compression=None),
    "aiohttp": lambda: AiohttpServer(compress=False),
    "tornado": lambda: TornadoServer(None),
    "node": lambda: NodeServer(perMessageDeflate=False),
}

MESSAGES = [u"plain text", u"\u00fcnicode \u2603", b"\x00binary\xff", u"", b"", u"x" * 100000, b"y" * 70000]


@pytest.mark.parametrize("peer", ["websockets", "aiohttp", "tornado", pytest.param("node", marks=node_marks())])
def test_echo(driver, peer):
    with PEERS[peer]() as server:
        websocket, received, echoed = exchange(driver, server.url, MESSAGES)
    assert echoed == MESSAGES
    assert names(received)[-2:] == ["closed", "disconnected"]
    assert received[-1].graceful
    assert not websocket.supports_compression

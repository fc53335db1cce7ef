"""permessage-deflate against independent servers: websockets, Tornado,
aiohttp and the node.js ws package, each with several settings.

The test extra installs the Python peers on Python 3.8+; there a missing
one is an error, not a skip. The node peer is installed with npm; see
test_interop.py for what happens where it or node is missing.
"""

import sys

import pytest

if sys.version_info < (3, 8):
    pytest.skip("the independent peers are for Python 3.8+", allow_module_level=True)

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory  # noqa: E402

from .peers import AiohttpServer, NodeServer, TornadoServer, WebsocketsServer  # noqa: E402
from .test_compression import CLIENT_OPTIONS, echo_all, mixed_messages  # noqa: E402
from .test_interop import node_marks  # noqa: E402

CLIENT_IDS = [str(i) for i in range(len(CLIENT_OPTIONS))]


# -- The websockets package ------------------------------------------------------

WEBSOCKETS_SETTINGS = [
    dict(compression="deflate"),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_no_context_takeover=True, client_no_context_takeover=True)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(server_max_window_bits=9, client_max_window_bits=9)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=8)]),
    dict(compression=None, extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=10, require_client_max_window_bits=True)]),
]


@pytest.mark.parametrize("settings", WEBSOCKETS_SETTINGS, ids=[str(i) for i in range(len(WEBSOCKETS_SETTINGS))])
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=CLIENT_IDS)
def test_websockets_server(driver, settings, compress):
    messages = mixed_messages(2)
    with WebsocketsServer(**settings) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


# -- Tornado -----------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"compression_level": 9, "mem_level": 9}], ids=["default", "level9"])
@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=CLIENT_IDS)
def test_tornado_server(driver, options, compress):
    messages = mixed_messages(3)
    with TornadoServer(options) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


# -- aiohttp (it takes the client's offer as it is) --------------------------------


@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=CLIENT_IDS)
def test_aiohttp_server(driver, compress):
    messages = mixed_messages(5)
    with AiohttpServer(compress=True) as server:
        assert echo_all(driver, server.url, messages, compress) == messages


# -- The node.js ws package ------------------------------------------------------

NODE_SETTINGS = {
    # ws leaves messages under 1 KiB uncompressed by default.
    "default": True,
    "no-takeover": {"serverNoContextTakeover": True, "clientNoContextTakeover": True, "threshold": 0},
    "window-bits": {"serverMaxWindowBits": 10, "clientMaxWindowBits": 9, "threshold": 0},
}


@pytest.fixture(scope="module", params=[pytest.param(name, marks=node_marks()) for name in NODE_SETTINGS])
def node_server(request):
    """One node process per setting, for every client option and driver
    (starting node takes most of a second)."""
    with NodeServer(perMessageDeflate=NODE_SETTINGS[request.param]) as server:
        yield server


@pytest.mark.parametrize("compress", CLIENT_OPTIONS, ids=CLIENT_IDS)
def test_node_server(driver, node_server, compress):
    messages = mixed_messages(6)
    assert echo_all(driver, node_server.url, messages, compress) == messages

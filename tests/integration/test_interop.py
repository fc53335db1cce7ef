"""Interoperability with an independent server: the websockets package."""

import sys

import pytest

# The test extra installs websockets on Python 3.8+; there a missing one is
# an error, not a skip.
if sys.version_info < (3, 8):
    pytest.skip("websockets is a peer for Python 3.8+", allow_module_level=True)

from .drivers import exchange  # noqa: E402
from .helpers import names  # noqa: E402
from .peers import WebsocketsServer  # noqa: E402


def test_echo_with_websockets(driver):
    messages = [u"plain text", u"\u00fcnicode \u2603", b"\x00binary\xff", u"x" * 100000, b"y" * 70000]
    with WebsocketsServer(compression=None) as server:
        websocket, received, echoed = exchange(driver, server.url, messages)
    assert echoed == messages
    assert names(received)[-2:] == ["closed", "disconnected"]
    assert received[-1].graceful
    assert not websocket.supports_compression

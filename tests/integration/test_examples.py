"""Every example runs (btcticker against a local stand-in for the feed)."""

import json
import threading

from lomond.examples import btcticker
from lomond.testing import WebSocketServer

from .helpers import finish, start_module

def run_module(name, stdin=b"", *args):
    return finish(start_module(name, *args), stdin)


def test_echo():
    code, out, err = run_module("lomond.examples.echo")
    assert code == 0, err
    assert "'Hello, World!')" in out
    assert "Binary(" in out
    assert out.rstrip().endswith("Disconnected(reason='closed', graceful=True)")


def test_chat_offline():
    code, out, err = run_module("lomond.examples.chat", b"first line\nsecond line\n\n")
    assert code == 0, err
    assert "< first line" in out, out
    assert "< second line" in out, out
    assert "graceful=True" in out, out


def test_proxy_tls_offline():
    code, out, err = run_module("lomond.examples.proxy_tls")
    assert code == 0, err
    assert "proxy='http://127.0.0.1:" in out
    assert "'hello over TLS, through" in out
    assert "the proxy opened 1 tunnel(s): localhost:" in out


def test_btcticker_against_a_local_feed():
    exit_event = threading.Event()
    lines = []
    subscriptions = []

    def feed(conn):
        subscriptions.append(json.loads(conn.recv().text))
        for price in ("43000.01", "43000.02"):
            conn.send_text(json.dumps({
                "type": "ticker", "product_id": "BTC-USD", "price": price,
                "side": "buy", "last_size": "0.1", "time": "2026-11-21T16:00:00.000000Z",
            }))
        conn.recv()

    def output(line):
        lines.append(line)
        if line.count("BTC-USD") and len(lines) == 3:
            exit_event.set()

    with WebSocketServer(feed) as server:
        btcticker.run(server.url, exit_event=exit_event, output=output)
    assert subscriptions == [{"type": "subscribe", "product_ids": ["BTC-USD"], "channels": ["ticker"]}]
    assert lines[0] == "connected; subscribing to BTC-USD"
    assert "43000.01" in lines[1] and "43000.02" in lines[2]

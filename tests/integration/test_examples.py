"""Every example runs (btcticker against a local stand-in for the feed)."""

import json
import sys
import threading

import pytest

from lomond import WebSocket
from lomond.examples import btcticker, chat
from lomond.testing import WebSocketServer

from .helpers import finish, start_module
from .servers import TIMEOUT


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


def test_btcticker_gives_up_when_the_feed_is_unreachable(free_port):
    url = "ws://127.0.0.1:{}/".format(free_port)
    code, out, err = finish(start_module("lomond.examples.btcticker", url, "--max-failures", "1"))
    assert code == 1, err
    assert err.startswith("btcticker: can't reach {}: the connection attempt failed: unable to connect".format(url))
    assert "Traceback" not in err


def test_btcticker_retries_before_giving_up(free_port):
    lines = []
    url = "ws://127.0.0.1:{}/".format(free_port)
    gave_up = btcticker.run(url, output=lines.append, max_failures=3, min_wait=0.01, max_wait=0.02)
    assert gave_up.failures == 3
    assert [line.split("(")[0] for line in lines] == ["ConnectFail", "BackOff", "ConnectFail", "BackOff", "ConnectFail"]


NON_ASCII = u"caf\u00e9 \u2603"


def test_chat_writes_non_ascii_to_a_pipe():
    process = start_module("lomond.examples.chat", env={"PYTHONIOENCODING": None})
    code, out, err = finish(process, (NON_ASCII + u"\n\n").encode("utf-8"))
    assert code == 0, err
    assert u"< " + NON_ASCII in out, out
    assert "Traceback" not in err


def test_chat_writes_utf8_whatever_the_encoding_of_stdout():
    def accented_echo(conn):
        while True:
            event = conn.recv()
            if event.name == "closing":
                return
            conn.send_text(u"\u00e9cho: " + event.text)

    with WebSocketServer(accented_echo) as server:
        process = start_module("lomond.examples.chat", server.url, env={"PYTHONIOENCODING": "ascii"})
        code, out, err = finish(process, b"hello\n\n")
    assert code == 0, err
    assert u"< \u00e9cho: hello" in out, out


def test_chat_exit_status_when_the_event_loop_fails(monkeypatch):
    class Broken(WebSocket):
        def connect(self, **options):
            raise RuntimeError("the event loop broke")

    monkeypatch.setattr(chat, "WebSocket", Broken)
    monkeypatch.setattr(chat, "_input", lambda: u"")
    status = []
    thread = threading.Thread(target=lambda: status.append(chat.chat("ws://127.0.0.1:1/")))
    thread.daemon = True
    thread.start()
    thread.join(TIMEOUT)
    assert status == [1]


@pytest.mark.skipif(sys.version_info < (3, 8), reason="the asyncio driver needs Python 3.8+")
def test_fanout_offline():
    code, out, err = run_module("lomond.examples.fanout", b"", "--connections", "60", "--messages", "3")
    assert code == 0, err
    assert "opened 60 connections" in out
    assert "echoed 180 of 180 messages" in out
    assert "closed: 60 gracefully, 0 dropped" in out

"""The command-line client, end to end against the loopback server."""

import signal
import socket
import sys
import threading
import time

import pytest

from lomond.testing import ConnectionClosed, WebSocketServer, echo

from .helpers import finish, start_module
from .servers import TIMEOUT

needs_websockets = pytest.mark.skipif(sys.version_info < (3, 8), reason="websockets is a peer for Python 3.8+")

#: How long a "slow" server thinks before it answers (seconds).
THINKING = 0.3


def start(*args):
    return start_module("lomond", *args)


def quiet_for(conn, seconds):
    """True if the client sent nothing for ``seconds`` (it is waiting)."""
    conn.sock.settimeout(seconds)
    try:
        conn.recv()
    except socket.timeout:
        return True
    except ConnectionClosed:
        return False
    finally:
        conn.sock.settimeout(TIMEOUT)
    return False


def slow_answer_then_close(conn):
    """Read one message, think, answer twice, then close the connection:
    a client that closed as soon as its input ended gets nothing."""
    request = conn.recv().text
    if not quiet_for(conn, THINKING):
        return
    conn.send_text(u"answer to " + request)
    conn.send_text(u"caf\u00e9 \u2603")
    conn.close()
    while conn.recv(auto_close=False).name != "closing":
        pass


def test_stdin_end_waits_for_the_server():
    with WebSocketServer(slow_answer_then_close) as server:
        code, out, err = finish(start(server.url), b'{"type": "subscribe"}\n')
    assert code == 0, err
    assert out.splitlines() == [u'answer to {"type": "subscribe"}', u"caf\u00e9 \u2603"]
    assert "* server is closing (code 1000)" in err


def test_close_after_eof_prints_what_arrives_meanwhile():
    def echo_and_more(conn):
        conn.send_text(conn.recv().text)
        if quiet_for(conn, THINKING):
            conn.send_text(u"later")
        echo(conn)

    with WebSocketServer(echo_and_more) as server:
        started = time.time()
        code, out, err = finish(start(server.url, "--close-after-eof", "1.5"), b"hello\n")
    assert code == 0, err
    assert out.splitlines() == ["hello", "later"]
    assert "* closed (code 1000" in err
    assert 1.5 <= time.time() - started < TIMEOUT


@needs_websockets
def test_stdin_end_waits_for_a_websockets_server():
    from .peers import WebsocketsServer

    def echo_once_then_close(connection):
        connection.send(connection.recv())
        connection.close()

    with WebsocketsServer(echo_once_then_close) as server:
        code, out, err = finish(start(server.url), b"hello\n")
    assert code == 0, err
    assert out.splitlines() == ["hello"]


@needs_websockets
def test_close_after_eof_with_a_websockets_echo_server():
    from .peers import WebsocketsServer

    with WebsocketsServer() as server:
        code, out, err = finish(start(server.url, "-q", "0.5"), u"hello\n\u00fcber\n".encode("utf-8"))
    assert code == 0, err
    assert out.splitlines() == [u"hello", u"\u00fcber"]


def test_close_after_eof_with_no_input_counts_from_ready(echo_server):
    code, out, err = finish(start(echo_server.url, "-q", "0"))
    assert code == 0, err
    assert err.index("* ready") < err.index("* closed (code 1000")


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_close_after_eof_needs_seconds(value):
    code, out, err = finish(start("ws://127.0.0.1:1/", "-q", value))
    assert code == 2
    assert "--close-after-eof" in err


def test_persist_outlives_stdin():
    def later(conn):
        if quiet_for(conn, THINKING):
            conn.send_text(u"still here")
        conn.wait_for_eof()

    with WebSocketServer(later) as server:
        process = start(server.url, "--persist", "--ping-rate", "0")
        timer = threading.Timer(TIMEOUT, process.kill)
        timer.start()
        try:
            process.stdin.close()
            line = process.stdout.readline()
        finally:
            timer.cancel()
            process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()
    assert line.rstrip() == b"still here"


def test_piped(echo_server):
    code, out, err = finish(start(echo_server.url, "--compress", "-q", "0"), b"hello\n{\"a\": 1}\n")
    assert code == 0, err
    assert out.splitlines() == ["hello", "{\"a\": 1}"]
    assert "* ready (permessage-deflate)" in err
    assert "* disconnected: closed" in err


def test_interactive(echo_server):
    process = start(echo_server.url, "--close-after-eof", "0")
    try:
        for line in (b"one", b"two", b"three"):
            process.stdin.write(line + b"\n")
            process.stdin.flush()
            assert process.stdout.readline().rstrip() == line  # answered before the next
    finally:
        code, out, err = finish(process)
    assert code == 0, err


def test_headers_subprotocol_and_origin():
    seen = []

    def handler(conn):
        seen.append(conn.request)
        echo(conn)

    with WebSocketServer(handler, protocols=["chat"]) as server:
        code, out, err = finish(
            start(server.url, "-q", "0", "-H", "X-Token: abc", "-p", "chat", "--origin", "http://example.org"),
            b"x\n",
        )
    assert code == 0, err
    assert seen[0].get("x-token") == "abc"
    assert seen[0].get("origin") == "http://example.org"
    assert "protocol chat" in err


def test_connection_failure_exit_status(free_port):
    code, out, err = finish(start("ws://127.0.0.1:{}/".format(free_port)))
    assert code == 1
    assert "! connection failed: unable to connect" in err


def test_rejection_exit_status():
    with WebSocketServer(lambda conn: conn.reject(404, "Not Found"), handshake=False) as server:
        code, out, err = finish(start(server.url))
    assert code == 1
    assert "! rejected: server answered 404 Not Found" in err


def test_usage_error():
    code, out, err = finish(start("http://not-a-websocket/"))
    assert code == 2
    assert "use ws:// or wss://" in err


def test_insecure_is_marked(server_ssl_context):
    with WebSocketServer(echo, ssl_context=server_ssl_context) as server:
        code, out, err = finish(start(server.url, "--insecure", "-q", "0"), b"tls\n")
    assert code == 0, err
    assert "TLS certificate verification is off" in err
    assert out.strip() == "tls"


def test_ca_file(server_ssl_context, ca_file):
    with WebSocketServer(echo, ssl_context=server_ssl_context) as server:
        code, out, err = finish(start(server.url, "--ca-file", ca_file, "-q", "0"), b"trusted\n")
    assert code == 0, err
    assert out.strip() == "trusted"


def test_persist_ends_after_close_after_eof(echo_server):
    code, out, err = finish(start(echo_server.url, "--persist", "--ping-rate", "0", "-q", "0"), b"kept\n")
    assert code == 0, err
    assert out.strip() == "kept"


def test_binary_and_verbose():
    def handler(conn):
        conn.recv()
        conn.send_binary(b"\x00\x01\xff")
        conn.close()
        conn.recv()

    with WebSocketServer(handler) as server:
        code, out, err = finish(start(server.url, "-v"), b"go\n")
    assert "[binary 3 bytes] 0001ff" in out
    assert "* poll" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_ctrl_c_closes_gracefully():
    seen = []

    def record(conn):
        while True:
            event = conn.recv()
            seen.append(event)
            if event.name == "closing":
                return

    with WebSocketServer(record) as server:
        process = start(server.url, "--ping-rate", "0")
        timer = threading.Timer(TIMEOUT, process.kill)
        timer.start()
        try:
            for line in iter(process.stderr.readline, b""):
                if line.startswith(b"* ready"):
                    process.send_signal(signal.SIGINT)
                    break
            code, out, err = finish(process)
        finally:
            timer.cancel()
    assert code == 130, err
    assert [(event.name, event.code) for event in seen] == [("closing", 1001)]
    assert "* interrupted: closing" in err
    assert "* closed (code 1001" in err

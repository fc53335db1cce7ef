"""The command-line client, end to end against the loopback server."""

from lomond.testing import WebSocketServer, echo

from .helpers import finish, start_module

def start(*args):
    return start_module("lomond", *args)


def test_piped(echo_server):
    code, out, err = finish(start(echo_server.url, "--compress"), b"hello\n{\"a\": 1}\n")
    assert code == 0, err
    assert out.splitlines() == ["hello", "{\"a\": 1}"]
    assert "* ready (permessage-deflate)" in err
    assert "* disconnected: closed" in err


def test_interactive(echo_server):
    process = start(echo_server.url)
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
            start(server.url, "-H", "X-Token: abc", "-p", "chat", "--origin", "http://example.org"), b"x\n"
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
        code, out, err = finish(start(server.url, "--insecure"), b"tls\n")
    assert code == 0, err
    assert "TLS certificate verification is off" in err
    assert out.strip() == "tls"


def test_ca_file(server_ssl_context, ca_file):
    with WebSocketServer(echo, ssl_context=server_ssl_context) as server:
        code, out, err = finish(start(server.url, "--ca-file", ca_file), b"trusted\n")
    assert code == 0, err
    assert out.strip() == "trusted"


def test_persist_ends_with_stdin(echo_server):
    code, out, err = finish(start(echo_server.url, "--persist", "--ping-rate", "0"), b"kept\n")
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

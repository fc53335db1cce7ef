"""TLS: verification by default, the caller's settings, and pending bytes."""

import ssl
import threading

import pytest

from lomond.frame import encode_frame
from lomond.opcode import Opcode
from lomond.testing import WebSocketServer, echo

from .helpers import ECHO_TEXT, echo_once, names, socket_closed
from .servers import TIMEOUT, RawServer, drain, new_server_context


def client_context(ca):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_wss_with_a_ca_file(driver, tls_echo_server, ca_file):
    websocket = driver.WebSocket(tls_echo_server.url, ssl_cafile=ca_file)
    received = driver.run(websocket, echo_once)
    assert [event.text for event in received if event.name == "text"] == [ECHO_TEXT]
    assert received[-1].graceful
    assert socket_closed(websocket)


def by_name(url):
    """The URL with ``localhost`` for ``127.0.0.1``: Python 2.7's ssl module
    can't check a certificate for an IP address, so a context of the
    caller's own must be used with a host name there."""
    return url.replace("127.0.0.1", "localhost")


def test_wss_with_a_context(driver, tls_echo_server, ca):
    received = driver.run(driver.WebSocket(by_name(tls_echo_server.url), ssl_context=client_context(ca)), echo_once)
    assert received[-1].graceful


def test_ip_address_is_checked_against_the_certificate(driver, ca, ca_file):
    context = new_server_context()
    ca.issue_cert(u"10.0.0.1", u"localhost").configure_cert(context)
    with WebSocketServer(echo, ssl_context=context) as server:
        wrong = driver.run(driver.WebSocket(server.url, ssl_cafile=ca_file))
        right = driver.run(driver.WebSocket(by_name(server.url), ssl_cafile=ca_file), echo_once)
    assert names(wrong) == ["connecting", "connect_fail"]
    assert "verify failed" in wrong[1].reason
    assert right[-1].graceful


def test_untrusted_certificate_fails_by_default(driver, tls_echo_server):
    received = driver.run(driver.WebSocket(tls_echo_server.url))
    assert names(received) == ["connecting", "connect_fail"]
    assert received[1].reason.startswith("TLS certificate verify failed")


def test_wrong_host_name_fails(driver, ca, ca_file):
    context = new_server_context()
    ca.issue_cert(u"example.org").configure_cert(context)
    with WebSocketServer(echo, ssl_context=context) as server:
        received = driver.run(driver.WebSocket(server.url, ssl_cafile=ca_file))
    assert names(received) == ["connecting", "connect_fail"]
    assert "verify failed" in received[1].reason
    assert "127.0.0.1" in received[1].reason or "match" in received[1].reason


def test_verification_can_be_turned_off(driver, tls_echo_server):
    received = driver.run(driver.WebSocket(tls_echo_server.url, ssl_verify=False), echo_once)
    assert received[-1].graceful


@pytest.mark.skipif(not hasattr(ssl, "TLSVersion"), reason="TLSVersion needs Python 3.7")
def test_the_callers_context_is_not_weakened(driver, tls_echo_server, ca):
    context = client_context(ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    options = context.options
    driver.run(driver.WebSocket(tls_echo_server.url, ssl_context=context), echo_once)
    assert context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert context.options == options


def test_tls_handshake_timeout(driver, ca_file):
    with RawServer(drain) as server:  # accepts TCP, never speaks TLS
        received = driver.run(driver.WebSocket(server.url("wss"), ssl_cafile=ca_file), connect_timeout=0.5)
    assert names(received) == ["connecting", "connect_fail"]
    assert "timed out" in received[1].reason


# -- Pending bytes ----------------------------------------------------------------
#
# OpenSSL may hold decrypted bytes that select() can't see. These servers send
# a burst and then go silent with the connection open; a client that waits on
# the socket before reading those bytes would stall until its next timer
# (an hour here), so every message must arrive promptly.


def burst_server(server_ssl_context, messages):
    """Sends ``messages`` in one write (so TLS packs them into full
    records), then waits with the connection open."""
    done = threading.Event()
    burst = b"".join(
        encode_frame(Opcode.BINARY, message)
        if isinstance(message, bytes)
        else encode_frame(Opcode.TEXT, message.encode("utf-8"))
        for message in messages
    )

    def handler(conn):
        conn.send_raw(burst)
        done.wait(TIMEOUT * 4)  # outlasts the client's watchdog

    return WebSocketServer(handler, ssl_context=server_ssl_context), done


def receive_all(driver, url, ca_file, count):
    received = []

    def handler(websocket, event):
        if event.name in ("text", "binary"):
            received.append(event)
            return len(received) == count

    driver.run(driver.WebSocket(url, ssl_cafile=ca_file), handler, poll=3600, ping_rate=0)
    return received


def test_burst_of_small_messages_over_tls(driver, server_ssl_context, ca_file):
    messages = [u"message {:04d}".format(index) for index in range(600)]
    server, done = burst_server(server_ssl_context, messages)
    with server:
        try:
            received = receive_all(driver, server.url, ca_file, len(messages))
        finally:
            done.set()
    assert [event.text for event in received] == messages


def test_message_larger_than_a_tls_record_then_small_ones(driver, server_ssl_context, ca_file):
    # 40000 bytes span three 16 KiB records; the small messages finish the
    # third. The client reads the big payload straight into its own buffer,
    # asking for exactly what is left of it, so OpenSSL keeps the small
    # messages: nothing is left on the socket to wake select().
    big = bytes(bytearray(index % 256 for index in range(40000)))
    messages = [big] + [u"after {}".format(index) for index in range(300)]
    server, done = burst_server(server_ssl_context, messages)
    with server:
        try:
            received = receive_all(driver, server.url, ca_file, len(messages))
        finally:
            done.set()
    assert received[0].data == big
    assert [event.text for event in received[1:]] == messages[1:]

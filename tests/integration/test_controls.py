"""The caller's controls in every phase: force_disconnect(), close() and
exit_event, from the first step of connect() to the final event.

Each phase is held open by a scripted server that never lets it finish.
When the server sees the client in that phase, a control comes from
another thread (or, between redirect hops, from the loop's own thread),
and the connection must end within a stated bound: at once for
force_disconnect() and exit_event (before the upgrade completes there is
no close handshake to wait for), within close_timeout of the call for
close(). Every run still ends with exactly one final event and a closed
socket.
"""

import logging
import socket
import threading

import pytest

from lomond import WebSocket
from lomond.clock import monotonic
from lomond.errors import TransportFail
from lomond.frame_parser import FrameParser
from lomond.opcode import Opcode
from lomond.testing import WebSocketServer, echo

from .helpers import Watchdog, names, socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade, drain, read_request, read_until_close, upgrade_response

#: How long a control that should act at once may take to end the loop
#: (a loaded 2-core CI machine needs the slack; it takes milliseconds).
PROMPT = 1.0
CLOSE_TIMEOUT = 1.0
#: close() ends the connection within close_timeout of the call.
CLOSE_BOUND = CLOSE_TIMEOUT + PROMPT
#: More than every kernel buffer between the client and a server that
#: doesn't read, so a send of it blocks.
BIG = 32 * 1024 * 1024

CONTROLS = ["force", "close", "exit"]


def received_bytes(sock):
    """Bytes waiting in ``sock``'s receive queue (Linux FIONREAD)."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, count, True)
    return count[0]


def wait_until(condition, what):
    """Poll ``condition`` until it holds; fail after TIMEOUT."""
    stop = monotonic() + TIMEOUT
    ticker = threading.Event()
    while not condition():
        if monotonic() > stop:
            raise AssertionError("timed out waiting until " + what)
        ticker.wait(0.005)


def syn_sent_to(port):
    """True if a socket of this machine is in SYN_SENT towards ``port``."""
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "02" and int(remote.split(":")[1], 16) == port:
                return True
    return False


class Control(object):
    """Carry out one control on a WebSocket, and time it.

    :param driver: The driver (see drivers.py).
    :param bool is_open: The control comes once the connection is open:
        then exit_event closes politely, which takes up to the close
        timeout, like close().
    """

    def __init__(self, driver, websocket, kind, is_open=False):
        self.driver = driver
        self.websocket = websocket
        self.kind = kind
        self.is_open = is_open
        self.exit_event = driver.exit_event()
        self.called_at = None
        self.call_took = None

    def __call__(self):
        self.called_at = monotonic()
        if self.kind == "force":
            self.websocket.force_disconnect()
        elif self.kind == "close":
            self.websocket.close()
        else:
            self.exit_event.set()
        self.call_took = monotonic() - self.called_at

    def later(self, signal):
        """Carry it out from another thread once ``signal`` is set (with
        the asyncio driver, the thread has the loop call it)."""

        def wait_then_act():
            if signal.wait(TIMEOUT):
                self.driver.call_from_thread(self.websocket, self)

        thread = threading.Thread(target=wait_then_act, name="lomond-test-control")
        thread.daemon = True
        thread.start()
        return thread

    @property
    def bound(self):
        if self.kind == "close" or (self.kind == "exit" and self.is_open):
            return CLOSE_BOUND
        return PROMPT


def run_until_end(driver, websocket, control, handler=None, **options):
    """Iterate until the end; return (events, seconds from the control to the end)."""
    options.setdefault("close_timeout", CLOSE_TIMEOUT)

    def keep_going(websocket, event):
        if handler is not None:
            handler(websocket, event)

    collected = driver.run(websocket, keep_going, exit_event=control.exit_event, **options)
    ended_at = monotonic()
    assert control.called_at is not None, "the control was never carried out"
    return collected, ended_at - control.called_at


def assert_ended_in_time(control, events, took, websocket):
    assert control.call_took < 0.25, "the control itself blocked for {:.2f}s".format(control.call_took)
    assert took < control.bound, "ended {:.2f}s after the control ({}); {}".format(took, control.kind, events)
    finals = [event for event in events if event.name in ("connect_fail", "disconnected")]
    assert len(finals) == 1 and events[-1] is finals[0], events
    assert socket_closed(websocket)


# -- Phases before the connection is made -------------------------------------------


class StalledTCP(object):
    """A listener whose accept queue is full: a new TCP connect hangs."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port), TIMEOUT)
        self.reached = threading.Event()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="lomond-test-syn")
        self._watcher.daemon = True
        self._watcher.start()

    def _watch(self):
        while not self._stop.is_set():
            if syn_sent_to(self.port):
                self.reached.set()
                return
            self._stop.wait(0.005)

    def url(self, scheme="ws"):
        return "{}://127.0.0.1:{}/".format(scheme, self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._watcher.join(TIMEOUT)
        self.filler.close()
        self.listener.close()


def signalling_server(first_step):
    """A RawServer that runs ``first_step(sock)``, sets ``reached``, then
    reads (and ignores) everything until the client goes away."""
    reached = threading.Event()

    def script(sock):
        first_step(sock)
        reached.set()
        drain(sock)

    server = RawServer(script)
    server.reached = reached
    return server


def client_hello(sock):
    sock.recv(1)  # the first byte of the TLS ClientHello


def socks_greeting(sock):
    sock.recv(3)  # version, number of methods, a method


PHASE_SERVERS = {
    "tls": lambda: signalling_server(client_hello),
    "http proxy": lambda: signalling_server(read_request),
    "socks proxy": lambda: signalling_server(socks_greeting),
    "upgrade": lambda: signalling_server(read_request),
}


def phase_websocket(driver, phase, server):
    if phase == "tcp":
        return driver.WebSocket(server.url())
    if phase == "tls":
        return driver.WebSocket(server.url("wss"))
    if phase == "upgrade":
        return driver.WebSocket(server.url())
    scheme = "http" if phase == "http proxy" else "socks5h"
    proxy = "{}://127.0.0.1:{}".format(scheme, server.port)
    # The target is never reached: the proxy is where the wait is.
    return driver.WebSocket("ws://127.0.0.1:9/", proxies={"http": proxy})


@pytest.mark.parametrize("kind", CONTROLS)
@pytest.mark.parametrize("phase", ["tcp", "tls", "http proxy", "socks proxy", "upgrade"])
def test_control_while_connecting(driver, phase, kind):
    server = StalledTCP() if phase == "tcp" else PHASE_SERVERS[phase]()
    with server:
        websocket = phase_websocket(driver, phase, server)
        control = Control(driver, websocket, kind)
        thread = control.later(server.reached)
        try:
            events, took = run_until_end(driver, websocket, control, connect_timeout=TIMEOUT * 3)
        finally:
            server.reached.set()
            thread.join(TIMEOUT)
    assert_ended_in_time(control, events, took, websocket)
    if phase == "upgrade":
        assert names(events) == ["connecting", "connected", "disconnected"]
        assert not events[-1].graceful
    else:
        assert names(events) == ["connecting", "connect_fail"]
    reason = events[-1].reason
    expected = {"force": "forced", "close": "close", "exit": "exit"}[kind]
    assert expected in reason, reason


@pytest.mark.parametrize("kind", ["force", "close"])
def test_control_on_the_connecting_event(driver, kind):
    with signalling_server(read_request) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, kind)

        def handler(ws, event):
            if event.name == "connecting":
                control()

        events, took = run_until_end(driver, websocket, control, handler)
    assert_ended_in_time(control, events, took, websocket)


def test_close_while_connecting_is_sent_once_the_upgrade_completes(driver):
    """The documented promise: a close during the upgrade goes out as soon
    as the connection is ready, and the handshake completes normally."""
    reached = threading.Event()
    go = threading.Event()
    received = []

    def script(sock):
        request = read_request(sock)
        reached.set()
        go.wait(TIMEOUT)
        sock.sendall(upgrade_response(request))
        received.extend(FrameParser(server_role=True).feed(read_until_close(sock)))
        sock.sendall(b"\x88\x02\x03\xe8")

    with RawServer(script) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, "close")

        def act():
            reached.wait(TIMEOUT)
            driver.call_from_thread(websocket, control)
            go.set()

        thread = threading.Thread(target=act)
        thread.start()
        try:
            events, took = run_until_end(driver, websocket, control)
        finally:
            go.set()
            thread.join(TIMEOUT)
    assert [name for name in names(events) if name != "poll"] == [
        "connecting",
        "connected",
        "ready",
        "closed",
        "disconnected",
    ]
    assert events[-1].graceful
    assert took < CLOSE_BOUND
    assert received[-1].opcode == Opcode.CLOSE and received[-1].payload[:2] == b"\x03\xe8"


# -- Between redirect hops ------------------------------------------------------------


def redirecting(requests):
    def handler(conn):
        request = conn.read_request()
        requests.append(request.path)
        if request.path == "/":
            conn.reject(302, "Found", headers=[("Location", "/next")])
        else:
            conn.accept()
            echo(conn)

    return handler


@pytest.mark.parametrize("kind", CONTROLS)
def test_control_between_redirect_hops(driver, kind):
    requests = []
    with WebSocketServer(redirecting(requests), handshake=False) as server:
        holder = {}

        def trace(record):
            if record["stage"] == "redirect":
                holder["control"]()

        websocket = driver.WebSocket(server.url, trace=trace)
        control = holder["control"] = Control(driver, websocket, kind)
        events, took = run_until_end(driver, websocket, control)
    assert_ended_in_time(control, events, took, websocket)
    if kind == "close":
        # Carried over to the next hop: sent once it is ready.
        assert [name for name in names(events) if name != "poll"] == [
            "connecting",
            "connected",
            "ready",
            "closed",
            "disconnected",
        ]
        assert events[-1].graceful
        assert requests == ["/", "/next"]
    else:
        assert names(events) == ["connecting", "connected", "disconnected"]
        assert requests == ["/"]


# -- Once open: a send that the server doesn't take -----------------------------------


def upgraded_then_not_reading(started, read_slowly=False):
    """Accept the upgrade, then read nothing (or a little, twice a second);
    set ``started`` once the client's big send has begun to arrive."""

    def script(sock):
        accept_upgrade(sock)
        wait_until(lambda: received_bytes(sock) >= 65536, "the send started")
        started.set()
        while read_slowly and not hung_up(sock, 0.5):
            if not sock.recv(4096):
                return
        hung_up(sock, TIMEOUT * 3)

    return script


def hung_up(sock, seconds):
    """Wait up to ``seconds``, reading nothing, for the connection to
    end: the client's FIN (POLLRDHUP sees it even with unread data
    queued) or RawServer.stop() shutting the socket down.

    :returns: True if it ended.
    """
    import select

    poller = select.poll()
    poller.register(sock, getattr(select, "POLLRDHUP", 0x2000) | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(seconds * 1000))


@pytest.mark.parametrize("kind", CONTROLS)
def test_control_while_another_thread_send_is_blocked(driver, kind):
    """With lomond.aio: another task's send."""
    started = threading.Event()
    senders = []
    with RawServer(upgraded_then_not_reading(started)) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, kind, is_open=True)
        polls = []

        def handler(ws, event):
            if event.name == "ready":
                senders.append(driver.start_sender(ws, b"\0" * BIG))
            elif event.name == "poll" and started.is_set() and control.called_at is None:
                # The loop goes on yielding Poll events while the send is
                # blocked; after a few, the handler gives up.
                polls.append(event)
                if len(polls) == 3:
                    assert senders[0].is_alive()
                    control()

        try:
            events, took = run_until_end(driver, websocket, control, handler, poll=0.05, send_timeout=0)
        finally:
            for sender in senders:
                sender.join()
    assert_ended_in_time(control, events, took, websocket)
    assert not events[-1].graceful
    assert isinstance(senders[0].error, TransportFail), senders[0].error
    assert senders[0].ended_at - control.called_at < control.bound


@pytest.mark.parametrize("kind", CONTROLS)
def test_control_while_the_loop_thread_send_is_blocked(driver, kind):
    """With lomond.aio: the iterating task's own send."""
    started = threading.Event()
    outcome = {}
    with RawServer(upgraded_then_not_reading(started)) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, kind, is_open=True)
        thread = control.later(started)

        def handler(ws, event):
            if event.name == "ready":
                driver.send_catching(ws, b"\0" * BIG, outcome)

        try:
            events, took = run_until_end(driver, websocket, control, handler, send_timeout=0)
        finally:
            started.set()
            thread.join(TIMEOUT)
    assert_ended_in_time(control, events, took, websocket)
    assert not events[-1].graceful
    assert isinstance(outcome["error"], TransportFail), outcome
    assert outcome["ended_at"] - control.called_at < control.bound


def test_close_stops_a_send_to_a_server_that_reads_slowly(driver):
    """A server that takes a little every half second never trips
    send_timeout; close() still ends the send within close_timeout."""
    started = threading.Event()
    senders = []
    with RawServer(upgraded_then_not_reading(started, read_slowly=True)) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, "close")
        control.later(started)

        def handler(ws, event):
            if event.name == "ready":
                senders.append(driver.start_sender(ws, b"\0" * BIG))

        try:
            events, took = run_until_end(driver, websocket, control, handler, send_timeout=2)
        finally:
            for sender in senders:
                sender.join()
    assert_ended_in_time(control, events, took, websocket)
    assert "close" in events[-1].reason
    assert isinstance(senders[0].error, TransportFail)
    assert senders[0].ended_at - control.called_at < CLOSE_BOUND


# -- exit_event under persist(), before the upgrade completes -----------------------


def test_persist_exits_while_the_server_never_answers_the_upgrade(driver):
    with signalling_server(read_request) as server:
        websocket = driver.WebSocket(server.url())
        control = Control(driver, websocket, "exit")
        thread = control.later(server.reached)
        events = driver.persist(websocket, exit_event=control.exit_event, connect_timeout=TIMEOUT * 3)
        took = monotonic() - control.called_at
        thread.join(TIMEOUT)
    assert took < PROMPT, took
    assert names(events) == ["connecting", "connected", "disconnected"]


# -- SOCKS negotiation is bounded by connect_timeout ----------------------------------


def test_socks_negotiation_is_bounded_by_connect_timeout(driver):
    def dripping_socks5(sock):
        sock.recv(3)
        # A valid answer, one byte every 0.6 s: each read succeeds in time,
        # only the whole is too slow.
        pause = threading.Event()
        for byte in (b"\x05", b"\x00", b"\x05", b"\x00", b"\x00", b"\x01"):
            sock.sendall(byte)
            pause.wait(0.6)
        drain(sock)

    with RawServer(dripping_socks5) as proxy:
        websocket = driver.WebSocket("ws://127.0.0.1:9/", proxies={"http": "socks5://127.0.0.1:{}".format(proxy.port)})
        started = monotonic()
        events = driver.run(websocket, connect_timeout=1)
        took = monotonic() - started
    assert names(events) == ["connecting", "connect_fail"]
    assert took < 1 + PROMPT, took
    reason = events[-1].reason
    assert "SOCKS" in reason and "time" in reason, reason


# -- No user code under the lock ------------------------------------------------------
#
# The blocking driver's concern: lomond.aio has no lock, and its sends are
# coroutines that a log handler can't call.


class SendingHandler(logging.Handler):
    """Ships every log record over the WebSocket itself."""

    def __init__(self, websocket):
        logging.Handler.__init__(self, logging.DEBUG)
        self.websocket = websocket
        self.shipped = 0
        self.seen = []
        self.shipping = False

    def emit(self, record):
        if self.shipping:
            return  # a record about the shipping itself
        self.seen.append(record.getMessage())
        self.shipping = True
        try:
            self.websocket.send_text(u"log: " + record.getMessage())
            self.shipped += 1
        except Exception:
            pass  # not connected (yet, or any more)
        finally:
            self.shipping = False


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_a_log_handler_may_send_over_the_same_websocket(echo_server, level):
    websocket = WebSocket(echo_server.url)
    handler = SendingHandler(websocket)
    logger = logging.getLogger("lomond")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    exit_event = threading.Event()
    try:
        with Watchdog(websocket):
            events = []
            for event in websocket.connect(exit_event=exit_event, ping_rate=0, poll=0.05):
                events.append(event)
                if event.name == "ready":
                    websocket.send_text(u"hello")
                elif event.name == "text" and event.text == u"hello":
                    exit_event.set()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert events[-1].name == "disconnected"
    assert events[-1].graceful
    assert any(message.startswith("exit requested") for message in handler.seen)
    if level == logging.DEBUG:
        assert handler.shipped > 0


def test_a_trace_callback_may_send_over_the_same_websocket(echo_server):
    holder = {}
    stages = []

    def trace(record):
        stages.append(record["stage"])
        if record["stage"] == "frame_received":
            try:
                holder["websocket"].send_ping(b"traced")
            except Exception:
                pass

    websocket = holder["websocket"] = WebSocket(echo_server.url, trace=trace)
    with Watchdog(websocket):
        events = []
        for event in websocket.connect(ping_rate=0):
            events.append(event)
            if event.name == "ready":
                websocket.send_text(u"hello")
            elif event.name == "text":
                websocket.close()
    assert events[-1].graceful
    assert "frame_sent" in stages


# -- graceful means the closing handshake completed -----------------------------------


def test_graceful_after_the_handshake_even_if_the_server_resets_tcp(driver):
    def close_then_reset(sock):
        accept_upgrade(sock)
        sock.sendall(b"\x88\x02\x03\xe8")  # close 1000
        read_until_close(sock)  # the client's echo: the handshake is complete
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        import struct

        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with RawServer(close_then_reset) as server:
        events = driver.run(driver.WebSocket(server.url()))
    assert names(events)[-2:] == ["closing", "disconnected"]
    assert events[-1].graceful, events[-1]


# -- Leaving the loop early says goodbye -------------------------------------------


@pytest.mark.parametrize("how", ["break", "exception"])
def test_leaving_the_loop_early_sends_a_close_frame(driver, how):
    """break, return or an exception: the server gets a close (1001, going
    away) rather than a vanished connection (1006 in its logs)."""
    received = []
    done = threading.Event()

    def script(sock):
        accept_upgrade(sock)
        received.extend(FrameParser(server_role=True).feed(read_until_close(sock)))
        done.set()

    class Leave(Exception):
        pass

    def handler(websocket, event):
        if event.name == "ready":
            if how == "break":
                return True
            raise Leave()

    with RawServer(script) as server:
        websocket = driver.WebSocket(server.url())
        if how == "break":
            driver.run(websocket, handler)
        else:
            with pytest.raises(Leave):
                driver.run(websocket, handler)
        assert done.wait(TIMEOUT)
    assert socket_closed(websocket)
    assert [frame.opcode for frame in received] == [Opcode.CLOSE]
    assert received[0].payload[:2] == b"\x03\xe9"  # 1001

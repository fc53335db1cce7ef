"""What only the asyncio driver has: cancellation as a way out, the
back-pressure of a slow consumer, no threads, ``async with``.

Every behaviour the two drivers share is tested against both (the
``driver`` fixture); this module holds the rest. Python 2.7 can't parse
it: conftest.py leaves it out there (the import gate is tested in
tests/unit/test_aio_gate.py).
"""

import os
import socket
import sys
import threading

import pytest

from .helpers import socket_closed
from .servers import TIMEOUT, RawServer, accept_upgrade, drain

needs_aio = pytest.mark.skipif(sys.version_info < (3, 8), reason="lomond.aio needs Python 3.8+")


def open_descriptors():
    return set(os.listdir("/proc/self/fd"))


def server_saw_eof(seen):
    """A script: upgrade, then record when the client closes TCP."""

    def script(sock):
        accept_upgrade(sock)
        drain(sock)
        seen.set()

    return script


@needs_aio
def test_cancelling_the_iterating_task_closes_the_socket_at_once():
    import asyncio

    from lomond.aio import WebSocket

    seen = threading.Event()
    with RawServer(server_saw_eof(seen)) as server:
        before = open_descriptors()

        async def main():
            websocket = WebSocket(server.url())
            ready = asyncio.Event()

            async def iterate():
                async for event in websocket.connect(ping_rate=0):
                    if event.name == "ready":
                        ready.set()

            task = asyncio.ensure_future(iterate())
            await asyncio.wait_for(ready.wait(), TIMEOUT)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert websocket.is_closed
            others = [other for other in asyncio.all_tasks() if other is not asyncio.current_task()]
            assert others == []

        asyncio.run(main())
        assert seen.wait(TIMEOUT)
    # Once the server is stopped: its own end of the connection is closed
    # just after it sees the EOF, in its thread.
    assert open_descriptors() <= before


@needs_aio
def test_leaving_the_loop_and_closing_the_generator_closes_the_socket():
    import asyncio

    from lomond.aio import WebSocket

    seen = threading.Event()
    with RawServer(server_saw_eof(seen)) as server:
        before = open_descriptors()

        async def main():
            websocket = WebSocket(server.url())
            events = websocket.connect(ping_rate=0)
            async for event in events:
                if event.name == "ready":
                    break
            await events.aclose()
            assert websocket.is_closed

        asyncio.run(main())
        assert seen.wait(TIMEOUT)
    # Once the server is stopped: its own end of the connection is closed
    # just after it sees the EOF, in its thread.
    assert open_descriptors() <= before


@needs_aio
def test_no_thread_is_started_for_an_ip_address(echo_server):
    import asyncio

    from lomond.aio import WebSocket

    threads = set()

    def ours():
        return set(thread.name for thread in threading.enumerate() if not thread.name.startswith("lomond-test"))

    async def main():
        websocket = WebSocket(echo_server.url, compress=True)
        async for event in websocket.connect(ping_rate=0):
            threads.update(ours())
            if event.name == "ready":
                await websocket.send_text(u"hello")
            elif event.name == "text":
                await websocket.close()
        assert asyncio.get_running_loop()._default_executor is None

    before = ours()
    asyncio.run(main())
    assert threads == before


def flood(started, stop):
    """Upgrade, then send small binary messages as fast as the client
    takes them, until ``stop`` is set; count what went out."""
    sent = []

    def script(sock):
        accept_upgrade(sock)
        frame = b"\x82\x7e\x10\x00" + b"x" * 4096  # 4 KiB binary
        sock.settimeout(0.5)
        count = 0
        started.set()
        while not stop.is_set():
            try:
                sock.sendall(frame)
                count += 1
            except socket.timeout:
                continue  # the client isn't reading: keep trying
            except (OSError, socket.error):
                break
        sent.append(count)

    return script, sent


@needs_aio
def test_a_slow_consumer_pauses_reading():
    """While the iterating coroutine doesn't take events, at most a bounded
    amount is read: the server's sends block on a full window."""
    import asyncio

    from lomond.aio import WebSocket
    from lomond.aio.link import MAX_BUFFERED

    started = threading.Event()
    stop = threading.Event()
    script, sent = flood(started, stop)
    with RawServer(script) as server:

        async def main():
            websocket = WebSocket(server.url())
            events = websocket.connect(ping_rate=0, poll=0)
            received = 0
            try:
                async for event in events:
                    if event.name == "binary":
                        received += 1
                        if received == 1:
                            # Stop taking events for a while, without
                            # blocking the loop.
                            await asyncio.sleep(1.0)
                            link = websocket.session and websocket._current.link
                            assert link._buffered <= MAX_BUFFERED + 256 * 1024
                            stop.set()
                            break
            finally:
                await events.aclose()

        asyncio.run(main())
    assert sent, "the server script did not finish"
    # The client held at most about MAX_BUFFERED of messages, plus what
    # the kernel's buffers took: far less than a second of loopback.
    assert sent[0] * 4100 < MAX_BUFFERED + 16 * 1024 * 1024


@needs_aio
def test_async_context_manager_closes(echo_server):
    """``async with`` (the blocking WebSocket's ``with`` is tested in
    test_connect.py), leaving the loop without closing the generator."""
    import asyncio

    from lomond.aio import WebSocket as AioWebSocket

    async def main():
        async with AioWebSocket(echo_server.url) as websocket:
            events = websocket.connect(ping_rate=0)
            async for event in events:
                if event.name == "ready":
                    break
        # Dropped on the way out: asyncio closes the socket itself on the
        # loop's next turn.
        assert websocket.is_closed
        assert websocket._current.link.transport.is_closing()
        await events.aclose()
        return websocket

    assert socket_closed(asyncio.run(asyncio.wait_for(main(), TIMEOUT)))


@needs_aio
def test_a_waiting_connection_keeps_no_delivered_event_alive(echo_server):
    """Thousands of idle connections: what the caller let go of must go
    (the last message and the upgrade response are the caller's to keep)."""
    import asyncio
    import gc

    from lomond.aio import WebSocket

    async def main():
        websocket = WebSocket(echo_server.url)
        events = websocket.connect(ping_rate=0, poll=0)
        seen = []
        while True:
            event = await events.__anext__()
            seen.append(event.name)
            if event.name == "ready":
                await websocket.send_text(u"x" * 1000)
            elif event.name == "text":
                break
        # The generator now waits for bytes that don't come.
        waiting = asyncio.ensure_future(events.__anext__())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        holders = [type(holder).__name__ for holder in gc.get_referrers(event) if holder is not seen]
        await websocket.close()
        assert (await waiting).name == "closed"
        async for _event in events:
            pass
        return holders

    holders = asyncio.run(main())
    # Only this test's own coroutine frame holds the event (a running
    # frame is not listed at all on Python 3.11+).
    assert [holder for holder in holders if holder not in ("frame", "coroutine")] == [], holders

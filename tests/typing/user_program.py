"""A typed program that uses Lomond as applications do (Python 3).

tools/typecheck.py runs ``mypy --strict`` over it. It also runs, offline,
against the loopback server: ``python3 tests/typing/user_program.py``.

The lines marked ``type: ignore[...]`` are mistakes that the stubs must
catch: mypy --strict reports an ignore that isn't needed, so each one
fails the check if the stubs stop seeing the mistake (for instance if a
type became Any).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, List, Optional

import lomond
import lomond.aio
from lomond import WebSocket
from lomond.compression import PerMessageDeflate
from lomond.errors import TransportFail, WebSocketError, WebSocketUnavailable
from lomond.events import Binary, Event, Rejected, Text
from lomond.persist import persist
from lomond.status import Status
from lomond.testing import ServerConnection, WebSocketServer, echo

if TYPE_CHECKING:
    from lomond.events import AnyEvent


def describe(event: AnyEvent) -> str:
    """Narrowing on the name."""
    if event.name == "text":
        return "text: " + event.text
    if event.name == "binary":
        return "binary: {} bytes".format(len(event.data))
    if event.name in ("closing", "closed"):
        return "close code {}".format(event.code)
    if event.name == "disconnected":
        return "graceful" if event.graceful else "dropped: " + event.reason
    if event.name == "back_off":
        return "retrying in {:.1f}s".format(event.delay)
    return event.name


def texts_of(events: List[Event]) -> List[str]:
    """Narrowing with isinstance, from the base class."""
    return [event.text for event in events if isinstance(event, Text)]


def greeter(conn: ServerConnection) -> None:
    message = conn.recv()
    if isinstance(message, Text):
        conn.send_text(u"hello " + message.text)
    conn.close(Status.NORMAL, u"done")
    conn.recv(auto_close=False)


def blocking(url: str) -> List[str]:
    websocket = WebSocket(url, compress=PerMessageDeflate(level=6), headers={"X-Trace": "1"})
    received: List[Event] = []
    for event in websocket.connect(ping_rate=0, close_timeout=5):
        received.append(event)
        if event.name == "ready":
            assert websocket.is_active and websocket.state == "open"
            websocket.send_text(u"Ada")
            websocket.send_binary(bytearray(b"\x00\x01"))
            websocket.send_json({"type": "hello"})
            websocket.send_ping(b"are you there?")
            protocol: Optional[str] = event.protocol
            status: int = event.response.status_code
            assert protocol is None and status == 101
        elif isinstance(event, Binary):
            websocket.close(Status.GOING_AWAY, u"bye")
        elif event.name == "rejected":
            print(event.response.get("retry-after", "no Retry-After"))
        print(describe(event), event.received_time)
    try:
        websocket.send_text(u"too late")
    except WebSocketUnavailable:
        pass
    return texts_of(received)


def greeted(url: str) -> Optional[str]:
    with WebSocket(url) as websocket:
        for event in websocket.connect(ping_rate=0):
            if event.name == "ready":
                websocket.send_text(u"Ada")
            elif event.name == "text":
                return event.text  # leaving the loop closes the connection
    return None


def persistent(url: str) -> int:
    exit_event = threading.Event()
    websocket = WebSocket(url)

    def will_not_heal(event: Event) -> bool:
        return isinstance(event, Rejected) and event.response.status_code == 404

    count = 0
    for event in persist(websocket, exit_event=exit_event, give_up=will_not_heal, min_wait=0.1, close_timeout=5):
        if event.name == "ready":
            websocket.send_text(u"once")
        elif event.name == "text":
            count += 1
            exit_event.set()
        elif event.name == "give_up":
            print(event.reason, event.failures)
            if event.event is not None and event.event.name == "rejected":
                print(event.event.response.status_code)
    return count


async def on_asyncio(url: str) -> List[str]:
    websocket = lomond.aio.WebSocket(url)
    texts: List[str] = []
    async for event in websocket.connect(ping_rate=0):
        if event.name == "ready":
            await websocket.send_text(u"async")
            await websocket.send_json(type="hello")
        elif isinstance(event, Text):
            texts.append(event.text)
            if len(texts) == 2:
                await websocket.close()
    exit_event = asyncio.Event()
    async for event in lomond.aio.persist(websocket, exit_event=exit_event, max_failures=3, ping_rate=0):
        if event.name == "ready":
            exit_event.set()
    return texts


def mistakes_the_stubs_catch(websocket: WebSocket, event: AnyEvent) -> None:
    websocket.send_text(b"bytes")  # type: ignore[arg-type]
    websocket.send_binary(u"text")  # type: ignore[arg-type]
    websocket.close(code="1000")  # type: ignore[arg-type]
    websocket.connect(pol=1)  # type: ignore[call-arg]
    print(event.text)  # type: ignore[union-attr]
    if event.name == "txt":  # type: ignore[comparison-overlap]
        pass
    persist(websocket, close_timout=5)  # type: ignore[call-arg]


def main() -> None:
    print(lomond.__version__)
    with WebSocketServer(greeter) as server:
        assert greeted(server.url) == u"hello Ada"
    with WebSocketServer(echo) as server:
        assert blocking(server.url) == [u"Ada", u'{"type": "hello"}']
        assert persistent(server.url) == 1
        assert asyncio.run(on_asyncio(server.url)) == [u"async", u'{"type": "hello"}']
    try:
        WebSocket("http://example.org/")
    except ValueError as error:
        print(error)
    except (TransportFail, WebSocketError):
        raise


if __name__ == "__main__":
    main()

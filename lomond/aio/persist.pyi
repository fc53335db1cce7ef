import asyncio
from typing import AsyncGenerator, Callable, Optional, Type

from ..events import AnyEvent
from ..session import WebsocketSession
from .websocket import WebSocket

# The keyword-only parameters are the connect() options persist passes on
# (its **connect_options).
def persist(
    websocket: WebSocket,
    poll: Optional[float] = 5,
    min_wait: float = 5,
    max_wait: float = 30,
    ping_rate: Optional[float] = 30,
    ping_timeout: Optional[float] = None,
    exit_event: Optional[asyncio.Event] = None,
    respect_retry_after: bool = True,
    max_retry_after: float = ...,
    give_up: Optional[Callable[[AnyEvent], object]] = None,
    max_failures: Optional[int] = None,
    random_source: Callable[[], float] = ...,
    *,
    session_class: Type[WebsocketSession] = ...,
    auto_pong: bool = ...,
    close_timeout: Optional[float] = ...,
    connect_timeout: Optional[float] = ...,
    send_timeout: Optional[float] = ...,
) -> AsyncGenerator[AnyEvent, None]: ...

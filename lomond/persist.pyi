from typing import Callable, Generator, Optional, Type

from typing_extensions import Protocol

from .events import AnyEvent
from .reconnect import backoff_delays as backoff_delays, parse_retry_after as parse_retry_after
from .session import WebsocketSession
from .websocket import WebSocket

__all__ = ["persist", "backoff_delays", "parse_retry_after"]

class _PersistExitEvent(Protocol):
    # What persist() needs of an exit_event: a threading.Event will do.
    def is_set(self) -> bool: ...
    def wait(self, timeout: Optional[float] = ...) -> bool: ...

# The keyword-only parameters are the connect() options persist passes on
# (its **connect_options).
def persist(
    websocket: WebSocket,
    poll: Optional[float] = 5,
    min_wait: float = 5,
    max_wait: float = 30,
    ping_rate: Optional[float] = 30,
    ping_timeout: Optional[float] = None,
    exit_event: Optional[_PersistExitEvent] = None,
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
) -> Generator[AnyEvent, None, None]: ...

import asyncio
import logging
from types import TracebackType
from typing import Any, AsyncGenerator, Awaitable, Callable, Optional, Type, TypeVar, Union

from typing_extensions import Self

from ..attempt import Attempt
from ..client import WebSocketBase
from ..controls import Controls
from ..events import AnyEvent
from ..options import ConnectOptions
from ..session import WebsocketSession

log: logging.Logger

_T = TypeVar("_T")

RECEIVE_BUFFER_SIZE: int

def shared_receive_buffer(loop: asyncio.AbstractEventLoop) -> bytearray: ...
def shared_random_pool(loop: asyncio.AbstractEventLoop) -> Callable[[int], bytes]: ...

class Run:
    # One connect() of an asyncio WebSocket: the driver's own machinery.
    # Its link (lomond.aio.link) has no stub, so it is Any here.
    websocket: WebSocket
    options: ConnectOptions
    loop: asyncio.AbstractEventLoop
    attempt: Attempt
    controls: Controls
    random_bytes: Callable[[int], bytes]
    link: Any
    proxy_url: Optional[str]
    def __init__(self, websocket: WebSocket, options: ConnectOptions, loop: asyncio.AbstractEventLoop) -> None: ...
    @property
    def session(self) -> Optional[WebsocketSession]: ...
    @property
    def phase(self) -> str: ...
    def force(self) -> None: ...
    def close(self, code: int, reason: Union[str, bytes, bytearray]) -> None: ...
    async def step(self, awaitable: Awaitable[_T], deadline: float, timed_out: Callable[[], BaseException]) -> _T: ...
    async def open(self, session_class: Type[WebsocketSession], deadline: float) -> Any: ...
    def end_hop(self, link: Any) -> None: ...
    def finish(self) -> None: ...

class WebSocket(WebSocketBase):
    def connect(
        self,
        session_class: Type[WebsocketSession] = ...,
        poll: Optional[float] = 5.0,
        ping_rate: Optional[float] = 30.0,
        ping_timeout: Optional[float] = None,
        auto_pong: bool = True,
        close_timeout: Optional[float] = 30.0,
        connect_timeout: Optional[float] = 30.0,
        send_timeout: Optional[float] = 30.0,
        exit_event: Optional[asyncio.Event] = None,
    ) -> AsyncGenerator[AnyEvent, None]: ...
    def __aiter__(self) -> AsyncGenerator[AnyEvent, None]: ...
    async def send_text(self, text: str, compress: bool = True) -> None: ...
    async def send_binary(self, data: Union[bytes, bytearray, memoryview], compress: bool = True) -> None: ...
    async def send_json(self, _obj: Any = ..., **kwargs: Any) -> None: ...
    async def send_ping(self, data: Union[bytes, bytearray] = b"") -> None: ...
    async def send_pong(self, data: Union[bytes, bytearray]) -> None: ...
    async def close(self, code: int = 1000, reason: Union[str, bytes, bytearray] = b"goodbye") -> None: ...
    def force_disconnect(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...

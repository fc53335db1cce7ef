import logging
from types import TracebackType
from typing import Any, Generator, Mapping, Optional, Type, Union

from typing_extensions import Self

from .client import WebSocketBase
from .events import AnyEvent
from .options import _ExitEvent
from .session import WebsocketSession

__all__ = ["WebSocket"]

log: logging.Logger

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
        exit_event: Optional[_ExitEvent] = None,
    ) -> Generator[AnyEvent, None, None]: ...
    def __iter__(self) -> Generator[AnyEvent, None, None]: ...
    def reset(self) -> None: ...
    def send_text(self, text: str, compress: bool = True) -> None: ...
    def send_binary(self, data: Union[bytes, bytearray, memoryview], compress: bool = True) -> None: ...
    def send_json(self, _obj: Any = ..., **kwargs: Any) -> None: ...
    def send_ping(self, data: Union[bytes, bytearray] = b"") -> None: ...
    def send_pong(self, data: Union[bytes, bytearray]) -> None: ...
    def close(self, code: int = 1000, reason: Union[str, bytes, bytearray] = b"goodbye") -> None: ...
    def force_disconnect(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...

def json_text(obj: Any, kwargs: Mapping[str, Any]) -> str: ...

import logging
from typing import Callable, List, Optional, Type, TypeVar, Union

from .client import WebSocketBase
from .controls import Controls
from .events import AnyEvent, ConnectFail, Connected, Connecting, Disconnected, Event, Rejected
from .options import ConnectOptions
from .redirect import Hop
from .route import Route
from .session import WebsocketSession

log: logging.Logger

_E = TypeVar("_E", bound=Event)
_S = TypeVar("_S", bound=WebsocketSession)

class Attempt:
    websocket: WebSocketBase
    options: ConnectOptions
    wall_time: Callable[[], float]
    controls: Controls
    hop: Optional[Hop]  # None once a refused redirect ended the attempt
    phase: str
    is_ready: bool
    redirect: Optional[Rejected]
    def __init__(self, websocket: WebSocketBase, options: ConnectOptions, wall_time: Callable[[], float]) -> None: ...
    def stamp(self, event: _E) -> _E: ...
    def connecting(self) -> Connecting: ...
    def deadline(self, now: float) -> float: ...
    def route(self) -> Route: ...
    def new_session(
        self,
        session_class: Type[_S],
        random_bytes: Callable[[int], bytes],
        now: float,
        deadline: float,
        receive_buffer: Optional[bytearray] = None,
    ) -> _S: ...
    def connected(self, proxy: Optional[str]) -> Optional[Connected]: ...
    def not_opened(self, error: BaseException) -> Union[ConnectFail, Disconnected]: ...
    def sift(self, batch: List[AnyEvent]) -> List[AnyEvent]: ...
    def keep(self, event: AnyEvent) -> bool: ...
    def follow(self) -> List[AnyEvent]: ...
    @property
    def redirected(self) -> bool: ...

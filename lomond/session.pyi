import logging
from typing import Any, Callable, List, Optional, Sequence, Set, Tuple, Union

from typing_extensions import Final, Literal, TypeAlias

from .compression import Deflate
from .events import AnyEvent
from .handshake import Handshake
from .response import Response

log: logging.Logger

CONNECTING: Final = "connecting"
OPEN: Final = "open"
CLOSING: Final = "closing"
CLOSED: Final = "closed"
CLOSE_GRACE: float

def leave_politely(session: WebsocketSession, now: float) -> None: ...

_State: TypeAlias = Literal["connecting", "open", "closing", "closed"]
_Bytes: TypeAlias = Union[bytes, bytearray, memoryview]
# ("log", level, message, args) or ("trace", record): see take_notes().
_Note: TypeAlias = Tuple[Any, ...]

class WebsocketSession:
    handshake: Handshake
    random_bytes: Callable[[int], bytes]
    max_size: Optional[int]
    auto_pong: bool
    poll: Optional[float]
    ping_rate: Optional[float]
    ping_timeout: Optional[float]
    close_timeout: Optional[float]
    handshake_timeout: Optional[float]
    trace: bool
    keeps_notes: bool
    receive_buffer: Optional[bytearray]
    state: _State
    response: Optional[Response]
    protocol: Optional[str]
    extensions: Set[str]
    deflate: Optional[Deflate]
    close_sent_time: Optional[float]
    is_finished: bool
    def __init__(
        self,
        handshake: Handshake,
        random_bytes: Callable[[int], bytes],
        max_size: Optional[int] = ...,
        auto_pong: bool = True,
        poll: Optional[float] = 5.0,
        ping_rate: Optional[float] = 30.0,
        ping_timeout: Optional[float] = None,
        close_timeout: Optional[float] = 30.0,
        handshake_timeout: Optional[float] = 30.0,
        trace: Optional[bool] = None,
        receive_buffer: Optional[bytearray] = None,
    ) -> None: ...
    # Driving
    def start(self, now: float) -> None: ...
    def feed(self, data: _Bytes) -> List[AnyEvent]: ...
    def get_buffer(self) -> memoryview: ...
    def buffer_updated(self, count: int) -> List[AnyEvent]: ...
    def tick(self, now: float) -> List[AnyEvent]: ...
    def next_deadline(self) -> Optional[float]: ...
    def data_to_send(self) -> Union[bytes, bytearray]: ...
    def abort(self, reason: str) -> List[AnyEvent]: ...
    def take_notes(self) -> Sequence[_Note]: ...
    @property
    def close_deadline(self) -> Optional[float]: ...
    # Sending
    def send_text(self, text: str, compress: bool = True) -> None: ...
    def send_binary(self, data: _Bytes, compress: bool = True) -> None: ...
    def send_ping(self, data: Union[bytes, bytearray] = b"") -> None: ...
    def send_pong(self, data: Union[bytes, bytearray]) -> None: ...
    def close(
        self, code: int = 1000, reason: Union[str, bytes, bytearray] = b"goodbye", now: Optional[float] = None
    ) -> None: ...

import logging
from ssl import SSLContext
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Type, TypeVar, Union

from typing_extensions import Literal, TypeAlias

from .compression import PerMessageDeflate
from .handshake import _Headers
from .options import ConnectOptions
from .proxy import _Proxies
from .redirect import Hop
from .route import Route
from .session import WebsocketSession as WebsocketSession, _Note
from .url import WebSocketURL

__all__ = ["WebSocketBase", "WebsocketSession"]

log: logging.Logger

_S = TypeVar("_S", bound=WebsocketSession)

# The ``trace`` option: a function that takes each trace record, or any
# other true value to log the records.
_Trace: TypeAlias = Union[Callable[[Dict[str, Any]], object], bool, None]
_State: TypeAlias = Literal["idle", "connecting", "open", "closing", "closed"]

class WebSocketBase:
    url: str
    scheme: str
    host: str
    port: int
    resource: str
    proxies: Optional[_Proxies]
    protocols: List[str]
    agent: Union[str, bytes]
    compress: bool
    ssl_verify: bool
    ssl_cafile: Optional[str]
    ssl_context: Optional[SSLContext]
    trace: _Trace
    headers: List[Tuple[bytes, bytes]]
    origin: Union[str, bytes, None]
    max_size: Optional[int]
    max_redirects: int
    proxy_ssl_context: Optional[SSLContext]
    def __init__(
        self,
        url: str,
        proxies: Optional[_Proxies] = None,
        protocols: Optional[Iterable[str]] = None,
        agent: Union[str, bytes, None] = None,
        compress: Union[bool, PerMessageDeflate, None] = False,
        ssl_verify: bool = True,
        ssl_cafile: Optional[str] = None,
        ssl_context: Optional[SSLContext] = None,
        trace: _Trace = None,
        headers: Optional[_Headers] = None,
        origin: Union[str, bytes, None] = None,
        max_size: Optional[int] = ...,
        max_redirects: int = 5,
        proxy_ssl_context: Optional[SSLContext] = None,
    ) -> None: ...
    # Properties
    @property
    def target(self) -> WebSocketURL: ...
    @property
    def state(self) -> _State: ...
    @property
    def session(self) -> Optional[WebsocketSession]: ...
    @property
    def is_secure(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_closing(self) -> bool: ...
    @property
    def is_closed(self) -> bool: ...
    @property
    def sent_close_time(self) -> Optional[float]: ...
    @property
    def supports_compression(self) -> bool: ...
    @property
    def key(self) -> Optional[bytes]: ...
    def add_header(self, header: Union[str, bytes], value: Union[str, bytes]) -> None: ...
    # For the drivers
    def emit_trace(self, stage: str, **fields: Any) -> None: ...
    def emit_notes(self, notes: Iterable[_Note]) -> None: ...
    def route_to(self, target: WebSocketURL) -> Route: ...
    def new_session(
        self,
        session_class: Type[_S],
        options: ConnectOptions,
        hop: Hop,
        random_bytes: Callable[[int], bytes],
        handshake_timeout: Optional[float],
        receive_buffer: Optional[bytearray] = None,
    ) -> _S: ...

import logging
import socket
from ssl import SSLContext
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union, overload, TypeVar

from typing_extensions import Self

from .compression import Deflate, ServerDeflate as ServerDeflate
from .events import Binary, Closing, Ping, Pong, Text
from .frame import Frame as Frame
from .response import Request as Request

__all__ = [
    "ConnectProxy",
    "ConnectionClosed",
    "Frame",
    "Request",
    "ServerConnection",
    "ServerDeflate",
    "WebSocketServer",
    "echo",
]

_T = TypeVar("_T")

log: logging.Logger
TIMEOUT: float

class ConnectionClosed(Exception): ...

class ServerConnection:
    server: WebSocketServer
    sock: socket.socket
    address: Any
    request: Optional[Request]
    deflate: Optional[Deflate]
    protocol: Optional[str]
    def __init__(self, server: WebSocketServer, sock: socket.socket, address: Any) -> None: ...
    def read_request(self) -> Request: ...
    def accept(
        self,
        protocol: Optional[str] = None,
        extra_headers: Iterable[Tuple[str, str]] = (),
        deflate: Optional[ServerDeflate] = None,
        accept_key_value: Optional[str] = None,
    ) -> None: ...
    def reject(
        self,
        status: int = 403,
        reason: str = "Forbidden",
        headers: Iterable[Tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None: ...
    def recv_frame(self) -> Frame: ...
    def recv(self, auto_pong: bool = True, auto_close: bool = True) -> Union[Text, Binary, Ping, Pong, Closing]: ...
    def send_raw(self, data: bytes) -> None: ...
    def send_frame(
        self,
        opcode: int,
        payload: bytes = b"",
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
        mask_key: Optional[bytes] = None,
    ) -> None: ...
    def send_text(self, text: str, compress: bool = True) -> None: ...
    def send_binary(self, data: Union[bytes, bytearray, memoryview], compress: bool = True) -> None: ...
    def close(self, code: Optional[int] = 1000, reason: str = "") -> None: ...
    def close_socket(self) -> None: ...
    def wait_for_eof(self, timeout: float = ...) -> bool: ...

# A handler is called with each connection, in the connection's thread.
_Handler = Callable[[ServerConnection], object]

def echo(conn: ServerConnection) -> None: ...

class WebSocketServer:
    handler: _Handler
    handshake: bool
    ssl_context: Optional[SSLContext]
    deflate: Optional[ServerDeflate]
    protocols: List[str]
    host: str
    connections: List[ServerConnection]
    errors: List[Exception]
    def __init__(
        self,
        handler: _Handler = ...,
        handshake: bool = True,
        ssl_context: Optional[SSLContext] = None,
        deflate: Optional[ServerDeflate] = ...,
        protocols: Iterable[str] = (),
        host: str = "127.0.0.1",
    ) -> None: ...
    @property
    def port(self) -> int: ...
    @property
    def url(self) -> str: ...
    def start(self) -> Self: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...

class ConnectProxy:
    credentials: Optional[Tuple[str, str]]
    refuse_with: Optional[int]
    tunnels: List[str]
    requests: List[bytes]
    listener: Optional[socket.socket]
    port: Optional[int]
    def __init__(self, credentials: Optional[Tuple[str, str]] = None, refuse_with: Optional[int] = None) -> None: ...
    def start(self) -> Self: ...
    def url(self, user: Optional[str] = None, password: Optional[str] = None) -> str: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...

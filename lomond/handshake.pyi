from typing import Iterable, List, Mapping, Optional, Set, Tuple, Union

from .compression import Deflate, PerMessageDeflate
from .response import Response

_Text = Union[str, bytes]
# Extra request headers, as the WebSocket's ``headers`` option takes them
# (a Mapping's key type is invariant, hence one Mapping for each).
_Headers = Union[Mapping[str, _Text], Mapping[bytes, _Text], Iterable[Tuple[_Text, _Text]]]

def make_key(nonce: bytes) -> bytes: ...
def accept_key(key: bytes) -> str: ...
def is_token(text: str) -> bool: ...
def header_value(value: _Text, name: str) -> bytes: ...
def normalize_headers(headers: Optional[_Headers]) -> List[Tuple[bytes, bytes]]: ...
def is_printable_ascii(text: str) -> bool: ...
def host_header(host: str, port: int, secure: bool) -> str: ...

class Handshake:
    host: str
    port: int
    resource: str
    secure: bool
    key: Optional[bytes]
    protocols: Tuple[str, ...]
    compression: Optional[PerMessageDeflate]
    origin: Optional[_Text]
    agent: Optional[_Text]
    headers: Tuple[Tuple[bytes, bytes], ...]
    authorization: Optional[str]
    def __init__(
        self,
        host: str,
        port: int,
        resource: str,
        secure: bool = False,
        key: Optional[bytes] = None,
        protocols: Iterable[str] = (),
        compression: Optional[PerMessageDeflate] = None,
        origin: Optional[_Text] = None,
        agent: Optional[_Text] = ...,
        headers: Iterable[Tuple[bytes, bytes]] = (),
        authorization: Optional[str] = None,
    ) -> None: ...
    def request(self) -> bytes: ...
    def validate(self, response: Response) -> Tuple[Optional[str], Set[str], Optional[Deflate]]: ...

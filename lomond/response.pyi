from typing import Dict, List, Optional, TypeVar, Union, overload

from .parser import Parser, _ParseGenerator

_T = TypeVar("_T")

def split_list(value: str) -> List[str]: ...

class Response:
    raw: bytes
    body: bytes
    http_ver: str
    status_code: int
    status: str
    headers: Dict[str, str]  # lower-case names
    def __init__(self, header_data: bytes, body: bytes = b"") -> None: ...
    @overload
    def get(self, name: str) -> Optional[str]: ...
    @overload
    def get(self, name: str, default: _T) -> Union[str, _T]: ...
    def get_list(self, name: str) -> List[str]: ...

class ResponseParser(Parser):
    def parse(self) -> _ParseGenerator: ...

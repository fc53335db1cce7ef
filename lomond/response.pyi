from typing import ClassVar, Dict, List, Optional, Tuple, Type, TypeVar, Union, overload

from .parser import Parser, _ParseGenerator

_T = TypeVar("_T")

def split_list(value: str) -> List[str]: ...

class Head:
    kind: ClassVar[str]
    keep_raw_headers: ClassVar[bool]
    raw: bytes
    headers: Dict[str, str]  # lower-case names
    raw_headers: List[Tuple[str, str]]
    def __init__(self, header_data: bytes) -> None: ...
    @overload
    def get(self, name: str) -> Optional[str]: ...
    @overload
    def get(self, name: str, default: _T) -> Union[str, _T]: ...
    def get_list(self, name: str) -> List[str]: ...

class Response(Head):
    body: bytes
    http_ver: str
    status_code: int
    status: str
    def __init__(self, header_data: bytes, body: bytes = b"") -> None: ...

class Request(Head):
    method: str
    path: str
    version: str

class HeadParser(Parser):
    head_class: ClassVar[Optional[Type[Head]]]
    def parse(self) -> _ParseGenerator: ...

class ResponseParser(HeadParser): ...
class RequestParser(HeadParser): ...

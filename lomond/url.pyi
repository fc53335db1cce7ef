from typing import Container, Dict, NamedTuple, Optional

DEFAULT_PORTS: Dict[str, int]

class RedirectError(ValueError): ...

def redact(url: str) -> str: ...
def ascii_host(name: str) -> str: ...
def quote_resource(resource: str) -> str: ...

class SplitURL(NamedTuple):
    scheme: str
    username: Optional[str]
    password: Optional[str]
    host: str
    port: Optional[int]
    path: str
    query: str
    fragment: Optional[str]

def split_url(
    url: str, schemes: Container[str], what: str = "URL", default_scheme: Optional[str] = None
) -> SplitURL: ...

class WebSocketURL:
    url: str
    scheme: str
    host: str
    port: int
    resource: str
    username: Optional[str]
    password: Optional[str]
    def __init__(self, url: str) -> None: ...
    @property
    def secure(self) -> bool: ...
    @property
    def redacted(self) -> str: ...
    def authorization(self) -> Optional[str]: ...
    def same_host(self, other: WebSocketURL) -> bool: ...
    def redirect(self, location: str) -> WebSocketURL: ...

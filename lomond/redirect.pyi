from typing import FrozenSet, List, Optional, Tuple

from .response import Response
from .url import WebSocketURL

REDIRECT_STATUSES: FrozenSet[int]
PRIVATE_HEADERS: FrozenSet[bytes]

def is_redirect(response: Response, max_redirects: int) -> bool: ...

class Hop:
    target: WebSocketURL
    headers: List[Tuple[bytes, bytes]]
    authorization: Optional[str]
    number: int
    def __init__(
        self,
        target: WebSocketURL,
        headers: List[Tuple[bytes, bytes]],
        authorization: Optional[str],
        number: int = 0,
    ) -> None: ...
    @classmethod
    def first(cls, target: WebSocketURL, headers: List[Tuple[bytes, bytes]]) -> Hop: ...
    def follow(self, response: Response, max_redirects: int) -> Hop: ...

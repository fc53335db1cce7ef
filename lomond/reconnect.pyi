from typing import Callable, Iterator, Optional, Union

from .events import AnyEvent, BackOff, GiveUp
from .response import Response

MAX_RETRY_AFTER: float

def backoff_delays(
    min_wait: float = 5.0, max_wait: float = 30.0, random_source: Callable[[], float] = ...
) -> Iterator[float]: ...
def parse_retry_after(value: str, now: float) -> Optional[float]: ...
def retry_after_floor(response: Optional[Response], now: float, limit: float = ...) -> float: ...

class ReconnectPolicy:
    min_wait: float
    max_wait: float
    respect_retry_after: bool
    max_retry_after: float
    max_failures: Optional[int]
    failures: int
    def __init__(
        self,
        min_wait: float = 5.0,
        max_wait: float = 30.0,
        respect_retry_after: bool = True,
        max_retry_after: float = ...,
        give_up: Optional[Callable[[AnyEvent], object]] = None,
        max_failures: Optional[int] = None,
        random_source: Callable[[], float] = ...,
    ) -> None: ...
    def observe(self, event: AnyEvent, now: float) -> None: ...
    def next_step(self, now: float, wall_now: float) -> Union[BackOff, GiveUp]: ...

from typing import Any, Dict, Optional

from typing_extensions import Protocol


EXIT_CHECK: float

class _ExitEvent(Protocol):
    # What connect() needs of an exit_event: a threading.Event will do.
    def is_set(self) -> bool: ...

def earliest(first: Optional[float], second: Optional[float]) -> Optional[float]: ...
def seconds_option(name: str, value: Optional[float]) -> Optional[float]: ...
def check_ping_options(ping_rate: Optional[float], ping_timeout: Optional[float]) -> None: ...

class ConnectOptions:
    poll: Optional[float]
    ping_rate: Optional[float]
    ping_timeout: Optional[float]
    auto_pong: bool
    close_timeout: Optional[float]
    connect_timeout: Optional[float]
    send_timeout: Optional[float]
    exit_event: Optional[_ExitEvent]
    def __init__(
        self,
        poll: Optional[float] = 5.0,
        ping_rate: Optional[float] = 30.0,
        ping_timeout: Optional[float] = None,
        auto_pong: bool = True,
        close_timeout: Optional[float] = 30.0,
        connect_timeout: Optional[float] = 30.0,
        send_timeout: Optional[float] = 30.0,
        exit_event: Optional[_ExitEvent] = None,
    ) -> None: ...
    def session_options(self) -> Dict[str, Any]: ...

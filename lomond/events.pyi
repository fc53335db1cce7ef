# Type information for lomond.events (the code stays Python 2.7 compatible,
# so its types live here; tools/typecheck.py checks them against the code).
#
# Every event class has ``name`` as a Literal, so that both ways of telling
# events apart narrow the type: ``isinstance(event, Text)`` and
# ``event.name == "text"``. The generators of connect() and persist() yield
# AnyEvent, the union of the concrete event classes.

from typing import Any, ClassVar, Optional, Set, Union

from typing_extensions import Literal, TypeAlias

from .response import Response

class Event:
    name: ClassVar[Optional[str]]
    # The loop stamps every event it yields; only an event straight out of
    # a sans-IO session (lomond.session) still has None here.
    received_time: float
    def __init__(self) -> None: ...

class Connecting(Event):
    name: ClassVar[Literal["connecting"]]
    url: str
    def __init__(self, url: str) -> None: ...

class ConnectFail(Event):
    name: ClassVar[Literal["connect_fail"]]
    reason: str
    def __init__(self, reason: str) -> None: ...

class Connected(Event):
    name: ClassVar[Literal["connected"]]
    url: str
    proxy: Optional[str]
    def __init__(self, url: str, proxy: Optional[str] = None) -> None: ...

class Rejected(Event):
    name: ClassVar[Literal["rejected"]]
    response: Response
    reason: str
    def __init__(self, response: Response, reason: str) -> None: ...

class Ready(Event):
    name: ClassVar[Literal["ready"]]
    response: Response
    protocol: Optional[str]
    extensions: Set[str]
    # The loop sets the URL connected to before it yields the event.
    url: str
    def __init__(
        self, response: Response, protocol: Optional[str], extensions: Set[str], url: Optional[str] = None
    ) -> None: ...

class Poll(Event):
    name: ClassVar[Literal["poll"]]

class Text(Event):
    name: ClassVar[Literal["text"]]
    text: str
    def __init__(self, text: str) -> None: ...
    @property
    def json(self) -> Any: ...

class Binary(Event):
    name: ClassVar[Literal["binary"]]
    data: bytes
    def __init__(self, data: bytes) -> None: ...

class Ping(Event):
    name: ClassVar[Literal["ping"]]
    data: bytes
    def __init__(self, data: bytes) -> None: ...

class Pong(Event):
    name: ClassVar[Literal["pong"]]
    data: bytes
    def __init__(self, data: bytes) -> None: ...

class Closing(Event):
    name: ClassVar[Literal["closing"]]
    code: Optional[int]  # None for a close frame without a code
    reason: str
    def __init__(self, code: Optional[int], reason: str) -> None: ...

class Closed(Event):
    name: ClassVar[Literal["closed"]]
    code: Optional[int]
    reason: str
    def __init__(self, code: Optional[int], reason: str) -> None: ...

class ProtocolError(Event):
    name: ClassVar[Literal["protocol_error"]]
    error: str
    critical: bool
    def __init__(self, error: str, critical: bool) -> None: ...

class Unresponsive(Event):
    name: ClassVar[Literal["unresponsive"]]

class Disconnected(Event):
    name: ClassVar[Literal["disconnected"]]
    reason: str
    graceful: bool
    def __init__(self, reason: str = "closed", graceful: bool = False) -> None: ...

class BackOff(Event):
    name: ClassVar[Literal["back_off"]]
    delay: float
    def __init__(self, delay: float) -> None: ...

class GiveUp(Event):
    name: ClassVar[Literal["give_up"]]
    reason: str
    failures: int
    event: Optional[AnyEvent]  # what decided it
    def __init__(self, reason: str, failures: int = 0, event: Optional[AnyEvent] = None) -> None: ...

class UnknownMessage(Event):
    name: ClassVar[Literal["unknown"]]
    message: Any
    def __init__(self, message: Any) -> None: ...

# For type checkers only (there is no such name at run time): any event
# that Lomond yields. Annotate a handler's parameter with it, in quotes or
# under ``if TYPE_CHECKING:``, and both ``event.name == "text"`` and
# ``isinstance(event, Text)`` narrow it to the class with ``.text``.
AnyEvent: TypeAlias = Union[
    Connecting,
    ConnectFail,
    Connected,
    Rejected,
    Ready,
    Poll,
    Text,
    Binary,
    Ping,
    Pong,
    Closing,
    Closed,
    ProtocolError,
    Unresponsive,
    Disconnected,
    BackOff,
    GiveUp,
    UnknownMessage,
]

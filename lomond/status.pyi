from typing import ClassVar, FrozenSet, Union

from typing_extensions import Final

class Status:
    NORMAL: Final = 1000
    GOING_AWAY: Final = 1001
    PROTOCOL_ERROR: Final = 1002
    DATA_NOT_UNDERSTOOD: Final = 1003
    NO_STATUS: Final = 1005
    ABNORMAL: Final = 1006
    BAD_DATA: Final = 1007
    POLICY_VIOLATION: Final = 1008
    MESSAGE_TOO_LARGE: Final = 1009
    EXTENSION_FAILED: Final = 1010
    UNEXPECTED_CONDITION: Final = 1011
    SERVICE_RESTART: Final = 1012
    TRY_AGAIN_LATER: Final = 1013
    BAD_GATEWAY: Final = 1014
    TLS_HANDSHAKE: Final = 1015
    invalid_codes: ClassVar[FrozenSet[int]]

def is_valid_close_code(code: int) -> bool: ...
def check_close_code(code: int) -> None: ...
def truncate_reason(reason: Union[str, bytes, bytearray], limit: int = 123) -> bytes: ...

from typing import ClassVar, Optional, Union

_Bytes = Union[bytes, bytearray, memoryview]


LARGE_FRAME: int
MASKS_IN_C: bool

class Frame:
    opcode: int
    payload: bytes
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    def __init__(
        self,
        opcode: int,
        payload: bytes = b"",
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def is_control(self) -> bool: ...
    def to_bytes(self, mask_key: Optional[bytes] = None) -> bytes: ...

def encode_header(
    opcode: int,
    length: int,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: Optional[bytes] = None,
) -> bytes: ...
def encode_frame(
    opcode: int,
    payload: _Bytes,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: Optional[bytes] = None,
) -> bytes: ...
def encode_client_frame(
    opcode: int, payload: _Bytes, mask_key: bytes, rsv1: bool = False
) -> Union[bytes, bytearray]: ...

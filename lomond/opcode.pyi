from typing import FrozenSet

from typing_extensions import Final

class Opcode:
    CONTINUATION: Final = 0x0
    TEXT: Final = 0x1
    BINARY: Final = 0x2
    RESERVED1: Final = 0x3
    RESERVED2: Final = 0x4
    RESERVED3: Final = 0x5
    RESERVED4: Final = 0x6
    RESERVED5: Final = 0x7
    CLOSE: Final = 0x8
    PING: Final = 0x9
    PONG: Final = 0xA
    RESERVED6: Final = 0xB
    RESERVED7: Final = 0xC
    RESERVED8: Final = 0xD
    RESERVED9: Final = 0xE
    RESERVED10: Final = 0xF
    @classmethod
    def to_str(cls, opcode: int) -> str: ...

reserved_opcodes: FrozenSet[int]
data_opcodes: FrozenSet[int]

def is_reserved(opcode: int) -> bool: ...
def is_control(opcode: int) -> bool: ...

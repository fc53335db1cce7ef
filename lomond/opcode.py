"""Frame opcodes (RFC 6455 section 5.2) and their classification."""


class Opcode(object):
    """The opcode values of WebSocket frames."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    RESERVED1 = 0x3
    RESERVED2 = 0x4
    RESERVED3 = 0x5
    RESERVED4 = 0x6
    RESERVED5 = 0x7
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA
    RESERVED6 = 0xB
    RESERVED7 = 0xC
    RESERVED8 = 0xD
    RESERVED9 = 0xE
    RESERVED10 = 0xF

    @classmethod
    def to_str(cls, opcode):
        """Return the name of an opcode, e.g. ``'TEXT'``.

        :param int opcode: An opcode value.
        :rtype: str
        """
        return _NAMES.get(opcode, "UNKNOWN")


_NAMES = dict(
    (value, name)
    for name, value in vars(Opcode).items()
    if name.isupper()
)

#: Opcodes that RFC 6455 leaves for future use; receiving one is an error.
reserved_opcodes = frozenset(
    value for name, value in vars(Opcode).items() if name.startswith("RESERVED")
)

#: Opcodes that begin or continue a message.
data_opcodes = frozenset([Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY])


def is_reserved(opcode):
    """Tell if an opcode is reserved (3-7 and 0xB-0xF)."""
    return opcode in reserved_opcodes


def is_control(opcode):
    """Tell if an opcode is a control frame (close, ping, pong or reserved).

    RFC 6455 5.5: control frames have opcodes whose most significant bit
    is set.
    """
    return opcode >= 0x8

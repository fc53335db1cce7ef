import pytest

from lomond.opcode import Opcode, data_opcodes, is_control, is_reserved, reserved_opcodes

NAMES = [
    "CONTINUATION",
    "TEXT",
    "BINARY",
    "RESERVED1",
    "RESERVED2",
    "RESERVED3",
    "RESERVED4",
    "RESERVED5",
    "CLOSE",
    "PING",
    "PONG",
    "RESERVED6",
    "RESERVED7",
    "RESERVED8",
    "RESERVED9",
    "RESERVED10",
]


@pytest.mark.parametrize("value", range(16))
def test_names(value):
    assert getattr(Opcode, NAMES[value]) == value
    assert Opcode.to_str(value) == NAMES[value]


@pytest.mark.parametrize("value", [16, -1, 0x80, None])
def test_unknown_name(value):
    assert Opcode.to_str(value) == "UNKNOWN"


@pytest.mark.parametrize("value", range(16))
def test_classification(value):
    reserved = 3 <= value <= 7 or value >= 0xB
    assert is_reserved(value) is reserved
    assert (value in reserved_opcodes) is reserved
    assert is_control(value) is (value >= 8)
    assert (value in data_opcodes) is (value <= 2)


def test_sets():
    assert reserved_opcodes == frozenset([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    assert data_opcodes == frozenset([0, 1, 2])

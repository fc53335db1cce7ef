import struct

import pytest

from lomond.errors import FrameBuildError
from lomond.frame import Frame, encode_frame, encode_header
from lomond.opcode import Opcode

KEY = b"\x37\xfa\x21\x3d"


def masked(key, data):
    key = bytearray(key)
    return bytes(bytearray(byte ^ key[index % 4] for index, byte in enumerate(bytearray(data))))


# RFC 6455 5.2: the three length forms


@pytest.mark.parametrize(
    "length, encoded",
    [
        (0, b"\x82\x00"),
        (1, b"\x82\x01"),
        (125, b"\x82\x7d"),
        (126, b"\x82\x7e\x00\x7e"),
        (65535, b"\x82\x7e\xff\xff"),
        (65536, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
        (2 ** 63 - 1, b"\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff"),
    ],
)
def test_length_forms(length, encoded):
    assert encode_header(Opcode.BINARY, length) == encoded


def test_length_over_63_bits():
    with pytest.raises(FrameBuildError):
        encode_header(Opcode.BINARY, 2 ** 63)


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536])
def test_masked_header(length):
    unmasked = encode_header(Opcode.TEXT, length)
    header = encode_header(Opcode.TEXT, length, mask_key=KEY)
    assert header[:1] == unmasked[:1]
    assert struct.unpack("!B", header[1:2])[0] == 0x80 | struct.unpack("!B", unmasked[1:2])[0]
    assert header[2:] == unmasked[2:] + KEY


@pytest.mark.parametrize(
    "flags, first",
    [
        ({}, 0x81),
        ({"fin": False}, 0x01),
        ({"rsv1": True}, 0xC1),
        ({"rsv2": True}, 0xA1),
        ({"rsv3": True}, 0x91),
        ({"fin": False, "rsv1": True, "rsv2": True, "rsv3": True}, 0x71),
    ],
)
def test_first_byte(flags, first):
    assert encode_header(Opcode.TEXT, 0, **flags) == struct.pack("!BB", first, 0)


@pytest.mark.parametrize("opcode", range(16))
def test_every_opcode(opcode):
    assert encode_frame(opcode, b"") == struct.pack("!BB", 0x80 | opcode, 0)


# RFC 6455 5.3: masking


@pytest.mark.parametrize("size", [0, 1, 4, 5, 125, 126, 65536])
def test_masked_payload(size):
    payload = bytes(bytearray(index % 251 for index in range(size)))
    data = encode_frame(Opcode.BINARY, payload, mask_key=KEY)
    header = encode_header(Opcode.BINARY, size, mask_key=KEY)
    assert data == header + masked(KEY, payload)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_like_payloads(kind):
    payload = b"bytes-like"
    assert encode_frame(Opcode.BINARY, kind(payload)) == b"\x82\x0a" + payload
    assert encode_frame(Opcode.BINARY, kind(payload), mask_key=KEY) == (
        b"\x82\x8a" + KEY + masked(KEY, payload)
    )


# The Frame value object


def test_frame_defaults():
    frame = Frame(Opcode.PING)
    assert (frame.payload, frame.fin, frame.rsv1, frame.rsv2, frame.rsv3) == (
        b"",
        True,
        False,
        False,
        False,
    )


def test_to_bytes():
    frame = Frame(Opcode.TEXT, b"hi", fin=False, rsv1=True)
    assert frame.to_bytes() == b"\x41\x02hi"
    assert frame.to_bytes(KEY) == b"\x41\x82" + KEY + masked(KEY, b"hi")


def test_equality():
    frame = Frame(Opcode.TEXT, b"a")
    assert frame == Frame(Opcode.TEXT, b"a")
    assert not frame != Frame(Opcode.TEXT, b"a")
    for other in [
        Frame(Opcode.BINARY, b"a"),
        Frame(Opcode.TEXT, b"b"),
        Frame(Opcode.TEXT, b"a", fin=False),
        Frame(Opcode.TEXT, b"a", rsv1=True),
        Frame(Opcode.TEXT, b"a", rsv2=True),
        Frame(Opcode.TEXT, b"a", rsv3=True),
        "not a frame",
    ]:
        assert frame != other
        assert not frame == other


def test_frames_are_not_hashable():
    with pytest.raises(TypeError):
        hash(Frame(Opcode.TEXT))


def test_frames_have_slots():
    with pytest.raises(AttributeError):
        Frame(Opcode.TEXT).extra = 1


@pytest.mark.parametrize("opcode", range(16))
def test_is_control(opcode):
    assert Frame(opcode).is_control == (opcode >= 8)


def test_repr():
    assert repr(Frame(Opcode.TEXT, b"hi")) == "<frame TEXT fin 2 bytes {!r}>".format(b"hi")
    assert repr(Frame(Opcode.BINARY, b"x" * 20, fin=False, rsv1=True, rsv2=True, rsv3=True)) == (
        "<frame BINARY rsv1 rsv2 rsv3 20 bytes {!r}...>".format(b"x" * 16)
    )
    assert repr(Frame(0x3)) == "<frame RESERVED1 fin 0 bytes {!r}>".format(b"")


@pytest.mark.parametrize("masks_in_c", [True, False])
@pytest.mark.parametrize("size", [0, 125, 65535, 65536, 200003])
def test_client_frames_built_either_way_are_the_same(monkeypatch, masks_in_c, size):
    from lomond import frame as frame_module

    monkeypatch.setattr(frame_module, "MASKS_IN_C", masks_in_c)
    payload = bytes(bytearray(index % 256 for index in range(size)))
    key = b"\x01\x02\x03\x04"
    built = frame_module.encode_client_frame(Opcode.BINARY, payload, key)
    assert bytes(built) == encode_frame(Opcode.BINARY, payload, mask_key=key)

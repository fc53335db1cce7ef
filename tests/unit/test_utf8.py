# -*- coding: utf-8 -*-
import random

import pytest

from lomond.errors import Utf8Error
from lomond import utf8
from lomond.utf8 import Utf8Decoder, decode_utf8, is_valid_prefix

from .chunks import random_chunks

KOSME = u"κόσμε".encode("utf-8")


def sequence_rule(lead):
    """Unicode table 3-7: (continuation bytes, range of the second byte)."""
    if 0xC2 <= lead <= 0xDF:
        return 1, 0x80, 0xBF
    if lead == 0xE0:
        return 2, 0xA0, 0xBF
    if lead == 0xED:
        return 2, 0x80, 0x9F
    if 0xE1 <= lead <= 0xEF:
        return 2, 0x80, 0xBF
    if lead == 0xF0:
        return 3, 0x90, 0xBF
    if 0xF1 <= lead <= 0xF3:
        return 3, 0x80, 0xBF
    if lead == 0xF4:
        return 3, 0x80, 0x8F
    return None


def first_bad_byte(data):
    """Index of the first byte no valid UTF-8 can contain at that place;
    len(data) if the text is only cut short; None if it is valid."""
    data = bytearray(data)
    index = 0
    while index < len(data):
        lead = data[index]
        if lead < 0x80:
            index += 1
            continue
        rule = sequence_rule(lead)
        if rule is None:
            return index
        count, low, high = rule
        for offset in range(1, count + 1):
            if index + offset >= len(data):
                return len(data)
            if not low <= data[index + offset] <= high:
                return index + offset
            low, high = 0x80, 0xBF
        index += count + 1
    return None


def failing_piece(pieces):
    """Feed pieces (the last with final=True); return the index of the one
    that raised, or None and the text."""
    decoder = Utf8Decoder()
    text = []
    for index, piece in enumerate(pieces):
        try:
            text.append(decoder.decode(piece, final=index == len(pieces) - 1))
        except Utf8Error:
            return index, None
    return None, u"".join(text)


def failing_piece_validated(pieces):
    """The same as failing_piece, with validate(): no text kept."""
    decoder = Utf8Decoder()
    for index, piece in enumerate(pieces):
        try:
            decoder.validate(piece, final=index == len(pieces) - 1)
        except Utf8Error:
            return index
    return None


def piece_holding(pieces, position):
    end = 0
    for index, piece in enumerate(pieces):
        end += len(piece)
        if position < end:
            return index
    return len(pieces) - 1


def assert_fails_fast(data, pieces):
    bad = first_bad_byte(data)
    index, text = failing_piece(pieces)
    assert failing_piece_validated(pieces) == index
    if bad is None:
        assert index is None, data
        assert text == data.decode("utf-8")
        assert decode_utf8(data) == text
    else:
        assert index == piece_holding(pieces, bad), (data, bad)
        with pytest.raises(Utf8Error):
            decode_utf8(data)


def check(data):
    assert_fails_fast(data, [data[index : index + 1] for index in range(len(data))] or [b""])
    assert_fails_fast(data, [data])
    for seed in range(3):
        assert_fails_fast(data, random_chunks(data, seed) or [b""])


VALID = [
    b"",
    b"ascii \x00\x7f",
    KOSME,
    b"\xc2\x80",
    b"\xdf\xbf",
    b"\xe0\xa0\x80",
    b"\xed\x9f\xbf",
    b"\xee\x80\x80",
    b"\xef\xbf\xbf",
    b"\xf0\x90\x80\x80",
    b"\xf3\xbf\xbf\xbf",
    b"\xf4\x8f\xbf\xbf",
    u"\u20ac \U0001f600 \ufeff".encode("utf-8"),
]

INVALID = [
    b"\xc0\x80",
    b"\xc1\xbf",
    b"\xe0\x80\x80",
    b"\xe0\x9f\xbf",
    b"\xf0\x80\x80\x80",
    b"\xf0\x8f\xbf\xbf",
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xed\xa0\x80\xed\xb0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xfe",
    b"\xff",
    b"\x80",
    b"\xbf",
    b"\xc2\x41",
    b"\xe1\x80\x41",
    b"\xf1\x80\x80\x41",
    b"\xc2\xc2\x80",
]

TRUNCATED = [
    b"\xc2",
    b"\xe1\x80",
    b"\xe0\xa0",
    b"\xed\x9f",
    b"\xf0\x90\x80",
    b"\xf4\x8f\xbf",
    KOSME + b"\xce",
]

AUTOBAHN = [
    KOSME + b"\xed\xa0\x80edited",
    KOSME + b"\xf4\x90\x80\x80edited",
    KOSME + b"\xc0\xafedited",
    KOSME + b"\xe0\x80\xafedited",
    KOSME + b"\xf0\x80\x80\xafedited",
    KOSME + b"\xed\xbf\xbfedited",
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
]


@pytest.mark.parametrize("data", VALID)
def test_valid(data):
    assert first_bad_byte(data) is None
    check(data)
    check(b"ab" + data + b"cd")


@pytest.mark.parametrize("data", INVALID + AUTOBAHN)
def test_invalid(data):
    assert first_bad_byte(data) < len(data)
    check(data)
    check(b"ab" + data + b"cd")
    check(KOSME + data)


@pytest.mark.parametrize("data", TRUNCATED)
def test_truncated_at_the_end(data):
    assert first_bad_byte(data) == len(data)
    check(data)


@pytest.mark.parametrize("data", TRUNCATED)
def test_truncated_is_fine_until_final(data):
    decoder = Utf8Decoder()
    assert decoder.decode(data) == (KOSME.decode("utf-8") if data.startswith(KOSME) else u"")
    with pytest.raises(Utf8Error):
        decoder.decode(b"", final=True)


def test_every_two_byte_start():
    seconds = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xFF]
    for lead in range(0x80, 0x100):
        for second in seconds:
            check(bytes(bytearray([lead, second, 0x80, 0x80, 0x41])))


def test_random_bytes():
    rng = random.Random(6455)
    alphabet = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
    for _ in range(1500):
        size = rng.randint(0, 12)
        check(bytes(bytearray(rng.choice(alphabet) for _ in range(size))))
    for _ in range(300):
        check(bytes(bytearray(rng.getrandbits(8) for _ in range(rng.randint(0, 8)))))


@pytest.mark.parametrize("text", [u"\u00e9", u"\u20ac", u"\U0001f600"])
def test_characters_split_across_pieces(text):
    data = (u"a" + text + u"b").encode("utf-8")
    for cut in range(len(data) + 1):
        decoder = Utf8Decoder()
        decoded = decoder.decode(data[:cut]) + decoder.decode(data[cut:], final=True)
        assert decoded == u"a" + text + u"b"


def test_decoder_returns_completed_text():
    decoder = Utf8Decoder()
    assert decoder.decode(b"x\xe2\x82") == u"x"
    assert decoder.decode(b"\xac") == u"\u20ac"
    assert decoder.decode(b"", final=True) == u""


def test_validate_passes_ascii_after_a_held_character_to_the_codec():
    decoder = Utf8Decoder()
    decoder.validate(b"ascii \xe2\x82")
    with pytest.raises(Utf8Error):
        decoder.validate(b"ascii")
    decoder = Utf8Decoder()
    decoder.validate(b"\xe2\x82")
    decoder.validate(b"\xac ascii")
    decoder.validate(b"ascii", final=True)


def test_error_codes():
    with pytest.raises(Utf8Error) as info:
        decode_utf8(b"\xff")
    assert info.value.code == 1007
    with pytest.raises(Utf8Error) as info:
        Utf8Decoder().decode(b"\xed\xa0")
    assert info.value.code == 1007


@pytest.mark.parametrize(
    "pending, valid",
    [
        (b"\xc2", True),
        (b"\xe0\xa0", True),
        (b"\xe0\x9f", False),
        (b"\xed\x9f", True),
        (b"\xed\xa0", False),
        (b"\xf0\x90\x80", True),
        (b"\xf0\x90\xc0", False),
        (b"\xf4\x8f", True),
        (b"\xf4\x90", False),
        (b"\xf5", False),
        (b"\xc1", False),
        (b"\x80", False),
    ],
)
def test_is_valid_prefix(pending, valid):
    assert is_valid_prefix(pending) is valid


class Python27(object):
    PY2 = True


@pytest.mark.parametrize(
    "pieces, fails_at",
    [
        ([b"ok", b"\xed\xa0\x80"], 1),
        ([b"ok\xed", b"\xa0", b"\x80"], 1),
        ([b"\xed\x9f\xbf", b"\xed\xbf\xbf"], 1),
        ([b"\xed\x9f\xbf", b"ok"], None),
    ],
)
def test_python_27_surrogate_check(monkeypatch, pieces, fails_at):
    monkeypatch.setattr(utf8, "six", Python27)
    assert failing_piece(pieces)[0] == fails_at
    assert failing_piece_validated(pieces) == fails_at
    with pytest.raises(Utf8Error):
        decode_utf8(b"\xed\xa0\x80")

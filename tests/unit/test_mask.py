import random

import pytest

from lomond import mask as mask_module
from lomond.mask import CHUNK, mask, mask_into, mask_python, mask_wsaccel

SIZES = (
    list(range(0, 18))
    + [125, 126, 1000, 4097]
    + list(range(CHUNK - 5, CHUNK + 6))
    + [CHUNK * 3 + 1, CHUNK * 3 + 4]
)


def reference(key, data):
    key = bytearray(key)
    return bytes(bytearray(byte ^ key[index % 4] for index, byte in enumerate(bytearray(data))))


def sample(size, seed):
    rng = random.Random(seed)
    key = bytes(bytearray(rng.getrandbits(8) for _ in range(4)))
    data = bytes(bytearray(rng.getrandbits(8) for _ in range(size)))
    return key, data


@pytest.mark.parametrize("size", SIZES)
def test_mask_python_matches_reference(size):
    key, data = sample(size, seed=size)
    result = mask_python(key, data)
    assert type(result) is bytes
    assert result == reference(key, data)
    assert mask_python(key, result) == data


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("size", [0, 1, 7, 100, CHUNK - 1, CHUNK, CHUNK * 2 + 3])
def test_mask_python_takes_bytes_like(kind, size):
    key, data = sample(size, seed=1000 + size)
    assert mask_python(key, kind(data)) == reference(key, data)


def test_mask_python_takes_a_bytearray_key():
    key, data = sample(21, seed=5)
    assert mask_python(bytearray(key), data) == reference(key, data)


def test_known_value():
    assert mask_python(b"\x37\xfa\x21\x3d", b"Hello") == b"\x7f\x9f\x4d\x51\x58"


def test_zero_key_is_identity():
    data = b"unchanged" * 3
    assert mask_python(b"\x00\x00\x00\x00", data) == data


def test_mask_is_one_of_the_maskers():
    assert mask in (mask_python, mask_wsaccel)


def test_wsaccel_unavailable(monkeypatch):
    monkeypatch.setattr(mask_module, "XorMaskerSimple", None)
    with pytest.raises(RuntimeError):
        mask_wsaccel(b"abcd", b"data")


def test_mask_wsaccel_matches_mask_python():
    pytest.importorskip("wsaccel")
    assert mask is mask_wsaccel
    for size in SIZES:
        key, data = sample(size, seed=-size)
        assert mask_wsaccel(key, data) == mask_python(key, data)
    for kind in (bytearray, memoryview):
        key, data = sample(50, seed=3)
        assert mask_wsaccel(key, kind(data)) == reference(key, data)


@pytest.mark.parametrize("size", [0, 5, CHUNK - 1, CHUNK, CHUNK * 2 + 3])
@pytest.mark.parametrize("offset", [0, 14])
def test_mask_into_writes_in_place(size, offset):
    key, data = sample(size, seed=2000 + size)
    out = bytearray(b"h" * offset + b"?" * size)
    mask_into(key, data, out, offset)
    assert out[:offset] == b"h" * offset
    assert bytes(out[offset:]) == reference(key, data)


@pytest.mark.parametrize("size", [0, 3, 4, 5, 1000])
def test_translate_masking_used_on_python_2(size):
    key, data = sample(size, seed=3000 + size)
    assert mask_module._mask_translate(key, data) == reference(key, data)


@pytest.mark.parametrize("with_c", [True, False])
@pytest.mark.parametrize("size", [5, CHUNK + 3])
def test_mask_into_with_and_without_the_c_masker(monkeypatch, with_c, size):
    if with_c and mask_module.XorMaskerSimple is None:
        pytest.skip("wsaccel is not installed")
    if not with_c:
        monkeypatch.setattr(mask_module, "XorMaskerSimple", None)
    key, data = sample(size, seed=4000 + size)
    out = bytearray(size + 2)
    mask_into(key, data, out, 2)
    assert bytes(out[2:]) == reference(key, data)

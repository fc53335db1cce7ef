"""Masking of client frames (RFC 6455 section 5.3).

Masking XORs the payload with a 4-byte key repeated over its length. The
pure-Python versions here avoid a per-byte loop: small payloads are XORed
as one big integer, large ones with four ``bytes.translate`` passes over
strided slices (one 256-byte XOR table per key byte). When ``wsaccel`` is
installed its C masker is used instead. :func:`mask` is the function to
call; the others are exposed for tests and benchmarks.
"""

import six

try:
    from wsaccel.xormask import XorMaskerSimple
except ImportError:  # pragma: no cover - depends on the environment
    XorMaskerSimple = None

#: Below this size big-integer XOR is the faster pure-Python method.
INT_XOR_LIMIT = 16 * 1024

_xor_tables = {}


def _xor_table(value):
    """The translate table that XORs every byte with ``value``."""
    table = _xor_tables.get(value)
    if table is None:
        table = bytes(bytearray(byte ^ value for byte in range(256)))
        _xor_tables[value] = table
    return table


def _to_bytes(data):
    """Copy a bytes-like object to bytes (on 2.7 ``bytes(memoryview)``
    is the view's repr)."""
    return data if isinstance(data, bytes) else memoryview(data).tobytes()


def _mask_translate(key, data):
    """Mask with one translate table per key byte, on strided slices."""
    data = _to_bytes(data)
    masked = bytearray(len(data))
    for offset, value in enumerate(bytearray(key)):
        masked[offset::4] = data[offset::4].translate(_xor_table(value))
    return bytes(masked)


if six.PY2:  # pragma: no cover - exercised by the 2.7 test run

    def mask_python(key, data):
        """Return ``data`` masked with the 4-byte ``key``, in pure Python.

        :param bytes key: The masking key.
        :param data: The payload (bytes-like).
        :rtype: bytes
        """
        return _mask_translate(key, data)

else:

    def mask_python(key, data):
        """Return ``data`` masked with the 4-byte ``key``, in pure Python.

        :param bytes key: The masking key.
        :param data: The payload (bytes-like).
        :rtype: bytes
        """
        size = len(data)
        if size >= INT_XOR_LIMIT:
            return _mask_translate(key, data)
        if not size:
            return b""
        quotient, remainder = divmod(size, 4)
        stream = key * quotient + key[:remainder]
        value = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
        return value.to_bytes(size, "big")


def mask_wsaccel(key, data):
    """Return ``data`` masked with ``key`` using wsaccel's C masker.

    :raises RuntimeError: If wsaccel is not installed.
    """
    if XorMaskerSimple is None:
        raise RuntimeError("wsaccel is not installed")
    return XorMaskerSimple(key).process(_to_bytes(data))


#: The masking function Lomond uses: wsaccel's when it is installed.
mask = mask_python if XorMaskerSimple is None else mask_wsaccel

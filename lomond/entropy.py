"""Random bytes for a connection: the handshake's nonce and masking keys.

The sans-IO session takes a source of random bytes as an argument; this is
the one the drivers give it.
"""

import os


class RandomPool(object):
    """Random bytes from ``os.urandom``, fetched 4 KiB at a time.

    Masking needs 4 fresh random bytes per frame; one system call per frame
    would cost more than the masking. Not thread-safe: a blocking connection
    has its own, used under its lock; the connections of one asyncio loop
    share one.
    """

    __slots__ = ["_source", "_block", "_data", "_pos"]

    def __init__(self, source=os.urandom, block=4096):
        self._source = source
        self._block = block
        self._data = b""
        self._pos = 0

    def __call__(self, count):
        pos = self._pos
        if pos + count > len(self._data):
            self._data = self._source(max(self._block, count))
            pos = 0
        self._pos = pos + count
        return self._data[pos : pos + count]

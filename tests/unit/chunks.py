"""Ways to split a byte string, so every parser is fed three ways.

STYLE: feed each case whole, one byte at a time, and in seeded random
chunks; the outcome must not depend on the split.
"""

import random


def whole(data):
    return [data]


def bytewise(data):
    return [data[index : index + 1] for index in range(len(data))]


def random_chunks(data, seed=0):
    rng = random.Random(seed)
    chunks = []
    pos = 0
    while pos < len(data):
        size = rng.randint(1, 64)
        chunks.append(data[pos : pos + size])
        pos += size
    return chunks


#: Use with ``@pytest.mark.parametrize("split", SPLITS)``.
SPLITS = [whole, bytewise, random_chunks]

"""Token ids of ASCII texts with array operations: the default token pattern, vectorised.

Most passages are ASCII. For them the pattern's tokens (runs of two or more word bytes)
are found with numpy over the bytes of a whole batch, and a token of up to 8 bytes is
looked up as the 64-bit integer its bytes make (word bytes are never 0, so the zero
padding cannot make two tokens equal) in a hash table of such keys (``KeyTable``): a
few gathers instead of a Python string and a dict lookup per token. Longer tokens, a
few, go through a dict. Exact: tests/test_features.py checks the ids against the regex's.
"""

from __future__ import annotations

import re

import numpy as np

KEY_BYTES = 8  # bytes of a token packed into one uint64 key
# Whether each byte is a word character as the token pattern sees it (\w; ASCII only).
WORD_BYTE = np.array([b < 128 and re.match(r"\w", chr(b)) is not None for b in range(256)])


class AsciiTokens:
    """A vocabulary (token -> id) for looking up the tokens of ASCII texts in bulk."""

    def __init__(self, ids: dict[str, int], unknown: int) -> None:
        self._unknown = unknown
        tokens = [t.encode() for t in ids if t.isascii() and KEY_BYTES >= len(t) >= 2]
        joined = b" ".join(tokens)
        starts = np.cumsum([0] + [len(t) + 1 for t in tokens[:-1]], dtype=np.int64)
        ends = starts + np.array([len(t) for t in tokens], dtype=np.int64)
        keys = _pack(np.frombuffer(joined, np.uint8), starts, ends)
        values = np.array([ids[t.decode()] for t in tokens], dtype=np.int64)
        self._short = KeyTable(keys, values, unknown)
        self._long = {t.encode(): i for t, i in ids.items() if t.isascii() and len(t) > KEY_BYTES}

    def ids(self, lowered: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each token's id (``unknown`` if not in the vocabulary) and the text it is in."""
        joined = " ".join(lowered).encode("ascii")
        data = np.frombuffer(joined, np.uint8)
        starts, ends = _word_runs(data)
        text_starts = np.cumsum([0] + [len(t) + 1 for t in lowered[:-1]], dtype=np.int64)
        doc = np.searchsorted(text_starts, starts, side="right") - 1
        found = np.full(len(starts), self._unknown, dtype=np.int64)
        short = ends - starts <= KEY_BYTES
        found[short] = self._short.get(_pack(data, starts[short], ends[short]))
        spans = zip(starts[~short].tolist(), ends[~short].tolist(), strict=True)
        found[~short] = [self._long.get(joined[s:e], self._unknown) for s, e in spans]
        return found, doc


class KeyTable:
    """A map of uint64 keys (never 0) to int64 values, looked up in bulk.

    Open addressing with linear probing in a table at least four times the keys, so
    a lookup takes a gather or two, faster than a binary search of sorted keys.
    """

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing

    def __init__(self, keys: np.ndarray, values: np.ndarray, missing: int) -> None:
        bits = max(4, int(len(keys) * 4).bit_length())
        self._shift, self._mask, self._missing = np.uint64(64 - bits), (1 << bits) - 1, missing
        self._keys = np.zeros(1 << bits, np.uint64)  # 0: an empty slot
        self._values = np.full(1 << bits, missing, np.int64)
        self._probes = 0  # the longest way from a key's home slot to its slot
        pending, home = np.arange(len(keys)), self._home(keys)
        while len(pending):  # place every key it can at this distance, the rest go on
            slots = (home[pending] + self._probes) & self._mask
            free = self._keys[slots] == 0
            _, first = np.unique(slots[free], return_index=True)
            placed, where = pending[free][first], slots[free][first]
            self._keys[where], self._values[where] = keys[placed], values[placed]
            pending = np.setdiff1d(pending, placed, assume_unique=True)
            self._probes += bool(len(pending))

    def get(self, queries: np.ndarray) -> np.ndarray:
        """Each query's value, ``missing`` for a key not in the table."""
        out = np.full(len(queries), self._missing, np.int64)
        active, slots = np.arange(len(queries)), self._home(queries)
        for _ in range(self._probes + 1):
            found = self._keys[slots]
            hit = found == queries[active]
            out[active[hit]] = self._values[slots[hit]]
            going = ~hit & (found != 0)  # an empty slot: the key is not there
            active, slots = active[going], (slots[going] + 1) & self._mask
        return out

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * self._MULTIPLIER) >> self._shift).astype(np.int64)


def _word_runs(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the runs of two or more word bytes in ``data``."""
    word = np.zeros(len(data) + 2, dtype=np.int8)
    word[1:-1] = WORD_BYTE[data]
    edges = np.diff(word)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = ends - starts >= 2
    return starts[keep], ends[keep]


def _pack(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The bytes ``data[start:end]`` of each token (at most KEY_BYTES) as one integer.

    Read through a view of the bytes as overlapping little-endian uint64s, one starting
    at each byte, then masked to the token's length.
    """
    padded = np.concatenate([data, np.zeros(KEY_BYTES, np.uint8)])
    words = np.ndarray((len(data),), dtype="<u8", buffer=padded, strides=(1,))
    return words[starts] & _MASKS[ends - starts]


# _MASKS[n]: the low n bytes of a uint64 set.
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(KEY_BYTES + 1)], dtype=np.uint64)

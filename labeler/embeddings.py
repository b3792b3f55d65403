"""Static token embeddings from the installed ``wordllama`` package, read fully offline.

WordLlama (MIT) ships a 32,000-token Llama-2 tokenizer and 256-dimensional token
embeddings (``wordllama/weights/l2_supercat_256.safetensors``, float16) inside its
wheel. A passage's embedding here is the mean of its tokens' vectors, L2-normalised:
the same vector as ``WordLlama.embed(text, norm=True)``, computed without it.

Nothing is ever downloaded: the weights and the tokenizer are read from the installed
package's files (the safetensors header is parsed here; the tokenizer is read by the
``tokenizers`` library that ``wordllama`` depends on), and the weights file's sha256
is recorded in the model card and checked before use.

The fast path (``WordLlama.embed`` runs BPE over whole passages, 6-10x slower than our
pipeline): split each passage on whitespace, keeping case and punctuation; encode each
distinct chunk once and keep its token ids in a bounded cache; a passage's token counts
are then one sparse matrix (passages x vocabulary) built from the cached chunks, and
its mean vector that matrix times the embedding table, divided by its token count.

Semantics: :meth:`StaticEmbeddings.transform` returns an ``(n, 256)`` float32 array of
unit vectors (all zero for a passage without tokens).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
CACHE_CHUNKS = 65_536  # distinct whitespace chunks kept: 32 MB of float16 sums, and their keys


class EmbeddingsMissing(Exception):
    """The wordllama package (or its weights) is not installed, or is not the recorded one."""


def package_dir() -> Path:
    """Where the installed wordllama package lives, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingsMissing(
            "the model uses wordllama's static embeddings: pip install wordllama"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def weights_path() -> Path:
    return package_dir() / WEIGHTS


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_safetensors(path: Path, name: str = TENSOR) -> np.ndarray:
    """One tensor of a safetensors file, as a numpy array (the format is a JSON header
    and raw little-endian data: no code is executed)."""
    dtypes = {"F16": np.float16, "F32": np.float32, "BF16": None}
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        info = header[name]
        dtype = dtypes.get(info["dtype"])
        if dtype is None:
            raise EmbeddingsMissing(f"{path}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        f.seek(8 + size + start)
        data = np.frombuffer(f.read(end - start), dtype=np.dtype(dtype).newbyteorder("<"))
    return data.reshape(info["shape"])


class StaticEmbeddings:
    """Mean-pooled, normalised WordLlama token embeddings of passages.

    ``expected_sha256``, when given, must match the installed weights file, else
    :class:`EmbeddingsMissing` is raised before anything is read.

    >>> emb = StaticEmbeddings()
    >>> X = emb.transform(["He was stabbed.", ""])
    >>> X.shape, round(float(np.linalg.norm(X[0])), 4), float(np.abs(X[1]).sum())
    ((2, 256), 1.0, 0.0)
    """

    def __init__(self, expected_sha256: str | None = None, cache_size: int = CACHE_CHUNKS):
        from tokenizers import Tokenizer

        root = package_dir()
        path = root / WEIGHTS
        if not path.is_file() or not (root / TOKENIZER).is_file():
            raise EmbeddingsMissing(f"{root}: wordllama's weights or tokenizer are missing")
        self.sha256 = file_sha256(path)
        if expected_sha256 is not None and self.sha256 != expected_sha256:
            raise EmbeddingsMissing(
                f"{path}: sha256 {self.sha256} is not the {expected_sha256} the model was "
                "trained with; install the wordllama version named in the model card"
            )
        self.vectors = read_safetensors(path)  # (32000, 256) float16
        self.tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
        self.cache_size = cache_size
        self._index: dict[str, int] = {}  # chunk -> row of the chunk table
        self._free = np.arange(cache_size)  # rows not holding a chunk
        self._sums = np.zeros((cache_size, self.vectors.shape[1]), dtype=np.float16)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def _add(self, chunks: list[str], rows: np.ndarray) -> None:
        """Encode new chunks once; keep their token-vector sums (float16) in ``rows``."""
        encoded = self.tokenizer.encode_batch(chunks, add_special_tokens=False)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encoded]
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        flat = np.concatenate(ids) if ids else np.empty(0, np.int64)
        used, inverse = np.unique(flat, return_inverse=True)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        C = sparse.csr_matrix(
            (np.ones(len(flat), np.float32), inverse.ravel(), indptr),
            shape=(len(ids), len(used)),
        )
        self._sums[rows] = np.asarray(C @ self.vectors[used].astype(np.float32))
        self._index.update(zip(chunks, rows.tolist(), strict=True))

    def chunks(self, texts: list[str]) -> Chunks:
        """Each passage's whitespace chunks as rows of the chunk table (cached).

        The table is bounded: when a batch's new chunks do not fit, every chunk this
        batch does not use is forgotten, and the new ones take their rows.
        """
        chunked = [t.split() for t in texts]
        per_text = np.fromiter(map(len, chunked), np.int64, len(chunked))
        flat = list(chain.from_iterable(chunked))
        idx = np.fromiter(map(self._index.get, flat, repeat(-1)), np.int64, len(flat))
        missing = np.flatnonzero(idx < 0)
        if missing.size:
            new = list(dict.fromkeys(flat[i] for i in missing.tolist()))
            if len(new) > len(self._free):
                hits = np.flatnonzero(idx >= 0)
                keep = {flat[i]: int(idx[i]) for i in hits.tolist()}
                if len(keep) + len(new) > self.cache_size:
                    raise ValueError(f"a batch holds more than {self.cache_size} distinct chunks")
                self._index = keep
                self._free = np.setdiff1d(np.arange(self.cache_size), list(keep.values()))
            rows, self._free = self._free[: len(new)], self._free[len(new) :]
            self._add(new, rows)
            index = self._index
            idx[missing] = np.fromiter(
                (index[flat[i]] for i in missing.tolist()), np.int64, missing.size
            )
        indptr = np.concatenate([[0], np.cumsum(per_text)])
        used, inverse = np.unique(idx, return_inverse=True)
        M = sparse.csr_matrix(
            (np.ones(len(idx), np.float32), inverse.ravel(), indptr),
            shape=(len(texts), len(used)),
        )
        return Chunks(M, self._sums[used].astype(np.float32), chunked)

    def transform(self, texts: list[str]) -> np.ndarray:
        return self.chunks(texts).pooled()


@dataclass
class Chunks:
    """Passages as counts of chunks: ``matrix`` (passages x the batch's distinct chunks,
    in each passage's chunk order), those chunks' token-vector ``sums``, and the chunk
    strings."""

    matrix: sparse.csr_matrix
    sums: np.ndarray
    chunked: list[list[str]]
    _pooled: np.ndarray | None = None

    def pooled(self) -> np.ndarray:
        """Unit-length mean token vectors, (n, dim) float32; zero rows without tokens (the
        mean's token count divides out of its direction)."""
        if self._pooled is None:
            S = np.asarray(self.matrix @ self.sums, dtype=np.float32)
            norms = np.linalg.norm(S, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            self._pooled = S / norms
        return self._pooled

    def norms(self) -> np.ndarray:
        """The length of each passage's token-vector sum (1 where it has none)."""
        n: np.ndarray = np.linalg.norm(np.asarray(self.matrix @ self.sums), axis=1)
        n[n == 0] = 1.0
        return n


def embed_reference(texts: list[str]) -> np.ndarray:
    """``WordLlama.embed(norm=True)`` loaded offline from the installed package (tests)."""
    from wordllama import WordLlama

    root = package_dir()
    wl: Any = WordLlama.load(config="l2_supercat", dim=256, cache_dir=root, disable_download=True)
    out: np.ndarray = wl.embed(texts, norm=True)
    return out

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
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
CACHE_CHUNKS = 200_000  # distinct whitespace chunks kept (token ids only: ~30 MB at most)


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
        self.vectors = read_safetensors(path).astype(np.float32)  # (32000, 256)
        self.tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def chunk_ids(self, chunks: list[str]) -> list[np.ndarray]:
        """Token ids of each whitespace chunk, through the bounded cache."""
        cache = self._cache
        missing = list({c for c in chunks if c not in cache})
        if missing:
            if len(cache) + len(missing) > self.cache_size:  # drop the oldest half
                for key in list(cache)[: max(len(cache) // 2, len(cache) + len(missing) -
                                             self.cache_size)]:
                    del cache[key]
            encoded = self.tokenizer.encode_batch(missing, add_special_tokens=False)
            for chunk, enc in zip(missing, encoded, strict=True):
                cache[chunk] = np.asarray(enc.ids, dtype=np.int32)
        return [cache[c] if c in cache else self._encode(c) for c in chunks]

    def _encode(self, chunk: str) -> np.ndarray:
        return np.asarray(self.tokenizer.encode(chunk, add_special_tokens=False).ids, np.int32)

    def counts(self, texts: list[str]) -> tuple[sparse.csr_matrix, list[list[str]]]:
        """(passages x vocabulary) token counts, and each passage's whitespace chunks."""
        chunked = [t.split() for t in texts]
        flat = [c for chunks in chunked for c in chunks]
        ids = self.chunk_ids(flat)
        lengths = np.fromiter((len(a) for a in ids), np.int64, len(ids))
        per_text = np.fromiter((len(c) for c in chunked), np.int64, len(chunked))
        row_of_chunk = np.repeat(np.arange(len(texts)), per_text)
        cols = np.concatenate(ids) if ids else np.empty(0, np.int32)
        rows = np.repeat(row_of_chunk, lengths)
        C = sparse.csr_matrix(
            (np.ones(len(cols), np.float32), (rows, cols)),
            shape=(len(texts), self.vectors.shape[0]),
        )
        C.sum_duplicates()
        return C, chunked

    def transform(self, texts: list[str]) -> np.ndarray:
        C, _ = self.counts(texts)
        return self.pool(C)

    def pool(self, C: sparse.csr_matrix) -> np.ndarray:
        """Unit-length mean vectors of token counts ``C`` (the mean's direction: the
        count divides out)."""
        S = np.asarray(C @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(S, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out: np.ndarray = S / norms
        return out


def embed_reference(texts: list[str]) -> np.ndarray:
    """``WordLlama.embed(norm=True)`` loaded offline from the installed package (tests)."""
    from wordllama import WordLlama

    root = package_dir()
    wl: Any = WordLlama.load(
        config="l2_supercat", dim=256, cache_dir=root, disable_download=True
    )
    out: np.ndarray = wl.embed(texts, norm=True)
    return out

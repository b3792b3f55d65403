"""Sentence embeddings of training rows, cached on disk by text so refits are quick.

Encoding every training row takes minutes; leave-one-source-out fits the recipe many
times over the same rows. The cache is a folder beside the training data
(``training/.embeddings``, untracked): one ``.npz`` a kind of encoder, holding the sha256
of each text and its embedding, plain arrays read with ``allow_pickle=False``. A cache
that cannot be written (a read-only data folder) is skipped, never an error.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from labeler.encoder import DIM, MAX_TOKENS


class Encoder(Protocol):
    """What the cache needs of an encoder (``labeler.encoder.Encoder``)."""

    quantized: bool

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_ids(self, ids: list[list[int]]) -> np.ndarray: ...


def cache_dir(data_dir: Path) -> Path:
    return Path(data_dir).resolve().parent / ".embeddings"


def kind(encoder: Encoder) -> str:
    """The cache file's name: what the embeddings were computed with."""
    return f"minilm-l6-{'int8' if encoder.quantized else 'fp32'}-{MAX_TOKENS}"


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def embed(texts: list[str], encoder: Encoder, cache: Path | None) -> np.ndarray:
    """(len(texts), DIM) embeddings, those of texts seen before read from ``cache``."""
    path = cache / f"{kind(encoder)}.npz" if cache else None
    known = _read(path) if path else {}
    keys = [text_key(t) for t in texts]
    missing = sorted({k: i for i, k in enumerate(keys) if k not in known}.values())
    if missing:
        fresh = encoder.encode([texts[i] for i in missing])
        known.update((keys[i], row) for i, row in zip(missing, fresh, strict=True))
        if path:
            _write(path, known)
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.vstack([known[k] for k in keys]).astype(np.float32)


class CachedEncoder:
    """An encoder that reads embeddings of texts seen before from the cache: training and
    evaluation score the training rows through it (``SentenceHead.encoder``)."""

    def __init__(self, cache: Path | None, quantized: bool = True) -> None:
        self.cache, self.quantized = cache, quantized

    def encode(self, texts: list[str]) -> np.ndarray:
        return embed(texts, _Loaded(self.quantized), self.cache)


class _Loaded:
    """The process's encoder, loaded only when a text is not in the cache."""

    def __init__(self, quantized: bool) -> None:
        self.quantized = quantized

    def encode(self, texts: list[str]) -> np.ndarray:
        from labeler.encoder import load_encoder

        return load_encoder(self.quantized).encode(texts)

    def encode_ids(self, ids: list[list[int]]) -> np.ndarray:
        from labeler.encoder import load_encoder

        return load_encoder(self.quantized).encode_ids(ids)


def read_through(model: Any, data_dir: Path) -> Any:
    """``model`` with its sentence model reading the training rows' cached embeddings
    (those of other texts are computed as usual): for scoring training data."""
    if model.sentence is not None:
        model.sentence.encoder = CachedEncoder(cache_dir(data_dir), model.sentence.quantized)
    return model


def static_table(encoder: Encoder, cache: Path | None) -> np.ndarray:
    """Every wordpiece embedded alone (``[CLS] piece [SEP]``): a static table, the
    model2vec idea, cached like the sentence embeddings."""
    path = cache / f"static-{kind(encoder)}.npy" if cache else None
    if path and path.is_file():
        return np.load(path, allow_pickle=False)  # type: ignore[no-any-return]
    vocabulary = 30522
    table = encoder.encode_ids([[101, i, 102] for i in range(vocabulary)])
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, table)
        except OSError:
            pass
    return table


def _read(path: Path) -> dict[bytes, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as parts:
            return dict(zip(parts["keys"].tolist(), parts["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def _write(path: Path, known: dict[bytes, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".partial")
        with os.fdopen(fd, "wb") as f:
            np.savez(
                f, keys=np.array(list(known), dtype="S32"), vectors=np.vstack(list(known.values()))
            )
        os.replace(tmp, path)
    except OSError:
        return

"""The sentence model: a linear head on word n-grams, character n-grams and the sentence
embedding, the default scorer of a model directory that has one (``sentence.npz``).

Per output (the labels, then ``described``: violence described rather than mentioned in
passing, for severity), ``p = 1 / (1 + exp(a * z + b))`` with ``z`` the sum over the
feature blocks of the block's features times its weights, plus an intercept. The word
block is the word model's own TF-IDF (``model.npz``), so a batch is tokenized once; the
character block is char_wb 2-5-gram TF-IDF; the embedding block is ``labeler.encoder``'s.
The artifact is plain arrays read with ``allow_pickle=False``, its sha256 checked
against the card before it is read, like ``model.npz``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labeler.features import Rows, char_wb_rows
from labeler.labels import LABELS

SENTENCE_FILE = "sentence.npz"
OUTPUTS = (*LABELS, "described")
BLOCKS = ("word", "char", "embedding")
CHAR_NGRAMS = (2, 5)


@dataclass
class SentenceHead:
    """Weights of the sentence model over its feature blocks, and their parameters."""

    features: tuple[str, ...]  # blocks, in BLOCKS order
    char_terms: list[str]
    char_idf: np.ndarray
    coef: np.ndarray  # (len(OUTPUTS), features side by side)
    intercept: np.ndarray  # (len(OUTPUTS),)
    calibration: np.ndarray  # (len(OUTPUTS), 2): Platt (a, b)
    quantized: bool = True  # the encoder's weights in int8
    # where embeddings come from: None, the process's encoder; training and evaluation
    # give labeler.learn.embeddings.CachedEncoder, which reads the training rows' cache
    encoder: Any = field(default=None, compare=False, repr=False)
    _char: Any = field(default=None, init=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_char": None, "encoder": None}  # rebuilt where unpickled

    def scores(self, texts: list[str], words: Rows) -> tuple[np.ndarray, np.ndarray]:
        """(n, len(LABELS)) label scores and (n,) probability that violence is described,
        for ``texts`` whose word TF-IDF rows are ``words``."""
        z = np.tile(self.intercept, (len(texts), 1))
        start = 0
        for name in self.features:
            width = self._width(name, words.shape[1])
            weights = self.coef[:, start : start + width]
            if name == "word":
                z += words.dot(weights)
            elif name == "char":
                z += self._char_rows(texts).dot(weights)
            else:
                z += self._embeddings(texts).astype(np.float64) @ weights.T
            start += width
        p = 1.0 / (1.0 + np.exp(self.calibration[:, 0] * z + self.calibration[:, 1]))
        return p[:, : len(LABELS)], p[:, len(LABELS)]

    def embedding_logits(self, texts: list[str]) -> np.ndarray:
        """(n, len(LABELS)): the embedding block's share of each label's log-odds for
        ``texts`` (no intercept, no other block): what the encoder alone makes of them.
        For a model with the embedding block."""
        from labeler.encoder import DIM

        weights = self.coef[: len(LABELS), -DIM:]  # the last block, in BLOCKS order
        return self._embeddings(texts).astype(np.float64) @ weights.T

    def _embeddings(self, texts: list[str]) -> np.ndarray:
        if self.encoder is not None:
            return self.encoder.encode(texts)  # type: ignore[no-any-return]
        from labeler.encoder import load_encoder

        return load_encoder(self.quantized).encode(texts)

    def _width(self, name: str, words: int) -> int:
        from labeler.encoder import DIM

        return {"word": words, "char": len(self.char_terms), "embedding": DIM}[name]

    def _char_rows(self, texts: list[str]) -> Rows:
        """char_wb TF-IDF rows over the head's own vocabulary and idf (no fit)."""
        if self._char is None:
            self._char = {term: i for i, term in enumerate(self.char_terms)}
        return char_wb_rows(texts, self._char, self.char_idf, CHAR_NGRAMS)

    def arrays(self) -> dict[str, np.ndarray]:
        config = {
            "features": list(self.features),
            "outputs": list(OUTPUTS),
            "quantized": self.quantized,
        }
        return {
            "char_terms": np.array(self.char_terms, dtype=str),
            "char_idf": self.char_idf,
            "coef": self.coef,
            "intercept": self.intercept,
            "calibration": self.calibration,
            "config": np.array(json.dumps(config)),
        }

    @classmethod
    def from_arrays(cls, parts: dict[str, np.ndarray], words: int) -> SentenceHead:
        """Checked: known blocks, outputs and shapes that fit together, finite numbers; a
        ValueError saying what is wrong otherwise (the loader names the file)."""
        try:
            config = json.loads(str(parts["config"]))
            features = tuple(config["features"])
            quantized = config["quantized"]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"its config is not readable ({err})") from None
        if (
            not set(features) <= set(BLOCKS)
            or not features
            or config.get("outputs") != list(OUTPUTS)
            or not isinstance(quantized, bool)
        ):
            raise ValueError(f"unknown features or outputs in its config: {config}")
        head = cls(
            features,
            [str(t) for t in parts["char_terms"]],
            parts["char_idf"],
            parts["coef"],
            parts["intercept"],
            parts["calibration"],
            quantized,
        )
        k = len(OUTPUTS)
        width = sum(head._width(name, words) for name in features)
        expected = {
            "char_idf": (len(head.char_terms),),
            "coef": (k, width),
            "intercept": (k,),
            "calibration": (k, 2),
        }
        for name, shape in expected.items():
            if parts[name].shape != shape:
                raise ValueError(f"{name} has shape {parts[name].shape}, expected {shape}")
            if parts[name].dtype.kind != "f" or not np.isfinite(parts[name]).all():
                raise ValueError(f"{name} is not all finite numbers")
        return head

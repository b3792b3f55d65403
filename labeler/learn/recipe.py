"""The training recipe as an object: which features, how sources are weighted, which targets.

``train``, ``evaluate``, leave-one-source-out and ``training/compare_loso.py`` all take a
:class:`Recipe`; comparing two recipes is building two objects. ``Recipe.fit`` returns a
:class:`Fitted` recipe (the vectorizers and one calibrated logistic regression per label,
on the concatenated features), which scores texts as the exported model will.

Features, concatenated in this order:

- ``word``: the shared word 1-2-gram TF-IDF (``labeler.features.make_vectorizer``);
- ``char``: character 2-5-grams within word boundaries (``char_wb``), TF-IDF;
- ``embedding``: the all-MiniLM-L6-v2 sentence embedding (``labeler.encoder``);
- ``static``: a static per-wordpiece table of the same encoder (each wordpiece embedded
  alone, averaged over the text): measured against ``embedding``, never shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import REVIEWED, Row
from labeler.learn.ngrams import Counts, Tfidf

FEATURES = ("word", "char", "embedding", "static")
DESCRIBED = "described"  # the severity model: violence described (2) rather than in passing (1)


@dataclass(frozen=True)
class Recipe:
    """What a model is fitted with. Comparing recipes is comparing these objects.

    - ``features``: feature blocks, a subset of FEATURES, in that order;
    - ``C``: the regressions' inverse regularisation strength;
    - ``source_power``: a source of n training rows counts as ``n ** source_power`` rows
      (scaled so all rows together keep their number): 1 counts every row alike, 0 every
      source alike; reviewed passages are never weighted up;
    - ``target_precision``, ``graphic_target``: flag thresholds reach these precisions on
      the validation split of the training sources;
    - ``review_recall``: review thresholds reach this recall on out-of-source validation
      scores (leave-one-source-out);
    - ``quantized``: the encoder's weights in int8 (else fp32).
    """

    features: tuple[str, ...] = ("word", "char", "embedding")
    C: float = 2.0
    source_power: float = 0.5
    target_precision: float = 0.6
    graphic_target: float = 0.5
    review_recall: float = 0.9
    quantized: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.features) - set(FEATURES)
        if unknown or not self.features:
            raise ValueError(f"features must be some of {FEATURES}, not {self.features}")

    @property
    def name(self) -> str:
        return "+".join(self.features)

    @property
    def needs_encoder(self) -> bool:
        return bool({"embedding", "static"} & set(self.features))

    def words_only(self) -> Recipe:
        """The same recipe on word features alone: the fast model, and the screen."""
        return replace(self, features=("word",))

    def targets(self) -> dict[str, float]:
        """Each label's target precision."""
        return {
            "violence": self.target_precision,
            "graphic": min(self.target_precision, self.graphic_target),
        }

    def weights(self, rows: list[Row]) -> np.ndarray:
        """Per-row training weights: a source of n rows counts as ``n ** source_power``
        rows, scaled so the weights add up to the number of rows; reviewed passages weigh
        at most 1 each.

        >>> rows = [Row(str(i), "", "big" if i else "small", "", {}) for i in range(5)]
        >>> Recipe(source_power=0.0).weights(rows).round(3).tolist()
        [2.5, 0.625, 0.625, 0.625, 0.625]
        >>> Recipe(source_power=1.0).weights(rows).tolist()
        [1.0, 1.0, 1.0, 1.0, 1.0]
        """
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.source] = counts.get(r.source, 0) + 1
        share = {s: n**self.source_power for s, n in counts.items()}
        scale = len(rows) / sum(share.values()) if rows else 1.0
        per_row = {s: share[s] * scale / n for s, n in counts.items()}
        return np.array(
            [
                min(per_row[r.source], 1.0) if r.source == REVIEWED else per_row[r.source]
                for r in rows
            ]
        )

    def fit(
        self, train: list[Row], val: list[Row], inputs: Inputs, severity: bool = True
    ) -> Fitted:
        """Feature blocks fitted on ``train``; per label, a class-balanced logistic
        regression on the ``train`` rows carrying the label, Platt-calibrated on the
        ``val`` rows carrying it; and (``severity``) the severity model on hand-labelled
        severity 1 and 2 rows, the same way."""
        features = Featurizer.fit(self, inputs, [r.text for r in train])
        X = {"train": features.transform([r.text for r in train])}
        X["val"] = features.transform([r.text for r in val])
        models = {}
        targets: dict[str, Callable[[Row], int | None]] = {
            label: partial(_label_of, label=label) for label in LABELS
        }
        if severity:
            targets[DESCRIBED] = _described
        for name, target in targets.items():
            parts = {}
            for split, rows in (("train", train), ("val", val)):
                idx = [i for i, r in enumerate(rows) if target(r) is not None]
                y = np.array([target(rows[i]) for i in idx], dtype=int)
                parts[split] = (X[split][idx], y, self.weights([rows[i] for i in idx]))
            if all(len(set(y.tolist())) == 2 for _, y, _ in parts.values()):
                models[name] = self._linear(*parts["train"], *parts["val"])
            elif name != DESCRIBED:
                raise ValueError(f"{name}: the training or validation rows have one class only")
        return Fitted(self, features, models)

    def _linear(
        self, X: Any, y: np.ndarray, w: np.ndarray, Xv: Any, yv: np.ndarray, wv: np.ndarray
    ) -> Linear:
        from sklearn.linear_model import LogisticRegression

        base = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000, tol=1e-3)
        base.fit(X, y, sample_weight=w)
        z = Xv @ base.coef_[0] + base.intercept_[0]
        a, b = platt(z, yv, wv)
        return Linear(base.coef_[0].copy(), float(base.intercept_[0]), a, b)


def _label_of(row: Row, label: str) -> int | None:
    return row.labels[label]


def _described(row: Row) -> int | None:
    """1 violence described (severity 2), 0 in passing (1), None otherwise."""
    return None if row.severity not in (1, 2) else int(row.severity == 2)


@dataclass
class Linear:
    """One output's calibrated linear model: ``p = 1 / (1 + exp(a * z + b))``, where
    ``z = x . coef + intercept``."""

    coef: np.ndarray
    intercept: float
    a: float
    b: float

    def proba(self, X: Any) -> np.ndarray:
        z = X @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(self.a * z + self.b))  # type: ignore[no-any-return]


def platt(z: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Platt's sigmoid (a, b) for decision values ``z``, as scikit-learn fits it."""
    from sklearn.calibration import _SigmoidCalibration

    fitted = _SigmoidCalibration().fit(z, y, sample_weight=weights)
    return float(fitted.a_), float(fitted.b_)


class Embedder:
    """Sentence embeddings of texts, through the on-disk cache of training rows.

    One per training run: it loads the encoder only when a text is not cached."""

    def __init__(self, cache: Path | None, quantized: bool = True) -> None:
        self.cache, self.quantized = cache, quantized
        self._static: np.ndarray | None = None

    @property
    def encoder(self) -> Any:
        from labeler.encoder import load_encoder

        return load_encoder(self.quantized)

    def sentences(self, texts: list[str]) -> np.ndarray:
        from labeler.learn.embeddings import embed

        return embed(texts, _LazyEncoder(self), self.cache)

    def static(self, texts: list[str]) -> np.ndarray:
        """Each text's mean static wordpiece vector (the table: every wordpiece embedded
        alone by the encoder), unit length."""
        from labeler.learn.embeddings import static_table

        if self._static is None:
            self._static = static_table(_LazyEncoder(self), self.cache)
        out = np.zeros((len(texts), self._static.shape[1]), dtype=np.float32)
        for i, ids in enumerate(self.encoder.tokens(texts)):
            pieces = ids[1:-1] or ids
            out[i] = self._static[pieces].mean(0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class _LazyEncoder:
    """The encoder's name for the cache, without loading it until a text is missing."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.quantized = embedder.quantized

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._embedder.encoder.encode(texts)  # type: ignore[no-any-return]

    def encode_ids(self, ids: list[list[int]]) -> np.ndarray:
        return self._embedder.encoder.encode_ids(ids)  # type: ignore[no-any-return]


@dataclass
class Inputs:
    """What fitting reads besides the rows: their n-gram counts (counted once) and the
    embedder (None for recipes without the encoder)."""

    counts: Counts
    embedder: Embedder | None

    @classmethod
    def of(cls, rows: list[Row], recipe: Recipe, cache: Path | None) -> Inputs:
        analyzers = tuple(a for a in ("word", "char") if a in recipe.features or a == "word")
        counts = Counts([r.text for r in rows], analyzers)
        return cls(counts, Embedder(cache, recipe.quantized) if recipe.needs_encoder else None)


@dataclass
class Featurizer:
    """The recipe's feature blocks, fitted on training texts, side by side."""

    recipe: Recipe
    inputs: Inputs
    tfidf: dict[str, Tfidf]

    @classmethod
    def fit(cls, recipe: Recipe, inputs: Inputs, texts: list[str]) -> Featurizer:
        if recipe.needs_encoder and inputs.embedder is None:
            raise ValueError(f"recipe {recipe.name} needs the encoder")
        tfidf: dict[str, Tfidf] = {
            name: Tfidf.fit(name, inputs.counts.rows(name, texts))
            for name in ("word", "char")
            if name in recipe.features
        }
        return cls(recipe, inputs, tfidf)

    def transform(self, texts: list[str]) -> Any:
        """Sparse (CSR) rows: the blocks side by side, in the recipe's order."""
        from scipy import sparse

        blocks = []
        embedder = self.inputs.embedder
        for name in self.recipe.features:
            if name in self.tfidf:
                blocks.append(self.tfidf[name].transform(self.inputs.counts.rows(name, texts)))
            elif embedder is not None:
                dense = embedder.sentences(texts) if name == "embedding" else embedder.static(texts)
                blocks.append(sparse.csr_matrix(dense.astype(np.float64)))
        return sparse.hstack(blocks, format="csr")


@dataclass
class Fitted:
    """A fitted recipe: per label a calibrated linear model on the features, and the
    severity model (``DESCRIBED``) where there were severity labels to fit it on."""

    recipe: Recipe
    features: Featurizer
    models: dict[str, Linear]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n, len(LABELS)) calibrated scores in LABELS order."""
        X = self.features.transform(texts)
        return np.column_stack([self.models[label].proba(X) for label in LABELS])

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """The labels' scores, and the probability that violence is described (severity
        2, not 1), None without a severity model."""
        X = self.features.transform(texts)
        proba = np.column_stack([self.models[label].proba(X) for label in LABELS])
        described = self.models[DESCRIBED].proba(X) if DESCRIBED in self.models else None
        return proba, described

"""The trained model: load it safely, score passages, explain each flag.

A model directory holds ``model.npz`` and ``card.json`` / ``card.md``. The
artifact is plain arrays exported from the trained sklearn estimators (the
vectorizer's vocabulary and idf, and per label the logistic regression's
coefficients and its Platt calibration), read with ``allow_pickle=False``: no
code or Python object in a model file is ever loaded. Loading also checks the
artifact's sha256 against the card first, and refuses a mismatch.

Scores: ``p = 1 / (1 + exp(a * z + b))`` where ``z = x . coef + intercept`` is
the regression's log-odds and ``(a, b)`` its sigmoid calibration, exactly as
``CalibratedClassifierCV(method="sigmoid")`` computes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.features import FastTfidf, TfidfParams, term_spans
from labeler.labels import LABELS

if TYPE_CHECKING:
    from scipy import sparse

MODEL_FILE = "model.npz"
CARD_FILE = "card.json"
EVIDENCE_TERMS = 5
ARRAYS = ("terms", "idf", "stop_words", "coef", "intercept", "calibration", "config")


class ModelError(Exception):
    """A model directory that cannot be used: missing, tampered with, or unsafe."""


def default_model_dir() -> Path:
    """The model shipped inside the package."""
    return Path(str(resources.files("labeler").joinpath("models/default")))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Model:
    """TF-IDF parameters, per-label linear weights and calibration, and the card."""

    tfidf: TfidfParams
    coef: np.ndarray  # (labels, features): log-odds weight of each term
    intercept: np.ndarray  # (labels,)
    calibration: np.ndarray  # (labels, 2): Platt (a, b)
    card: dict[str, Any]
    _fast: FastTfidf = field(init=False, repr=False)
    _stop: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._fast = FastTfidf(self.tfidf)
        self._stop = frozenset(self.tfidf.stop_words)

    @classmethod
    def from_sklearn(
        cls, vectorizer: Any, classifiers: dict[str, Any], card: dict[str, Any]
    ) -> Model:
        """Export a fitted vectorizer and per-label ``CalibratedClassifierCV(ensemble=False)``."""
        fitted = [classifiers[label].calibrated_classifiers_[0] for label in LABELS]
        coef = np.vstack([f.estimator.coef_[0] for f in fitted])
        intercept = np.array([f.estimator.intercept_[0] for f in fitted])
        calibration = np.array([[f.calibrators[0].a_, f.calibrators[0].b_] for f in fitted])
        return cls(TfidfParams.from_vectorizer(vectorizer), coef, intercept, calibration, card)

    @property
    def version(self) -> str:
        return str(self.card["version"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {label: float(t) for label, t in self.card["thresholds"].items()}

    @property
    def described_at(self) -> float:
        return float(self.card["described_at"])

    def features(self, texts: list[str]) -> sparse.csr_matrix:
        """TF-IDF rows, identical to the fitted vectorizer's ``transform``."""
        return self._fast.transform(texts)

    def proba(self, X: sparse.csr_matrix) -> np.ndarray:
        """(n, 2) calibrated scores in LABELS order; 0 where no known term occurs."""
        z = np.asarray(X @ self.coef.T) + self.intercept
        out: np.ndarray = 1.0 / (1.0 + np.exp(self.calibration[:, 0] * z + self.calibration[:, 1]))
        out[X.getnnz(axis=1) == 0] = 0.0
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.proba(self.features(texts))

    def top_terms(
        self, X: sparse.csr_matrix, flags: np.ndarray
    ) -> dict[int, list[tuple[str, str, float]]]:
        """For each flagged row and label, the terms that pushed the score up most.

        Returns ``{row: [(label, term, weight), ...]}``; ``weight`` is the term's
        contribution to the label's log-odds before calibration (tf-idf value
        times coefficient), positive only, at most EVIDENCE_TERMS per label.
        One pass of array operations over the whole batch.
        """
        out: dict[int, list[tuple[str, str, float]]] = {}
        row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        for j, label in enumerate(LABELS):
            contrib = X.data * self.coef[j][X.indices]
            keep = (contrib > 0) & flags[row_of, j]
            rows, weights, features = row_of[keep], contrib[keep], X.indices[keep]
            order = np.lexsort((-weights, rows))
            rows, weights, features = rows[order], weights[order], features[order]
            top = np.arange(len(rows)) - np.searchsorted(rows, rows) < EVIDENCE_TERMS
            for row, weight, feature in zip(
                rows[top].tolist(), weights[top].tolist(), features[top].tolist(), strict=True
            ):
                out.setdefault(row, []).append((label, self.tfidf.terms[feature], weight))
        return out

    def evidence(self, text: str, chosen: list[tuple[str, str, float]]) -> list[dict[str, Any]]:
        """Evidence entries for one passage's ``top_terms``, with spans in its ``text``."""
        spans = term_spans(text, {term for _, term, _ in chosen}, self._stop)
        found = sorted(
            (c for c in chosen if c[1] in spans),
            key=lambda c: (LABELS.index(c[0]), spans[c[1]][0]),
        )
        return [
            {"label": label, "term": term, "start": s, "end": e, "weight": round(weight, 4)}
            for label, term, weight in found
            for s, e in spans[term]
        ]


def save_model(model: Model, directory: Path) -> None:
    """Write the artifact, then the card with the artifact's sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    t = model.tfidf
    config = {
        "token_pattern": t.token_pattern,
        "lowercase": t.lowercase,
        "sublinear_tf": t.sublinear_tf,
        "labels": list(LABELS),
    }
    with path.open("wb") as f:
        np.savez_compressed(
            f,
            terms=np.array(t.terms),
            idf=t.idf,
            stop_words=np.array(t.stop_words),
            coef=model.coef,
            intercept=model.intercept,
            calibration=model.calibration,
            config=np.array(json.dumps(config)),
        )
    model.card["artifact"] = {"file": MODEL_FILE, "sha256": sha256_of(path)}
    (directory / CARD_FILE).write_text(json.dumps(model.card, indent=2) + "\n", encoding="utf-8")


def load_model(directory: Path | str | None = None) -> Model:
    """Load a model directory (default: the shipped model), verifying it first."""
    directory = Path(directory) if directory else default_model_dir()
    card_path, path = directory / CARD_FILE, directory / MODEL_FILE
    if not card_path.is_file() or not path.is_file():
        raise ModelError(f"{directory}: not a model directory (needs {CARD_FILE} and {MODEL_FILE})")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    expected, actual = card.get("artifact", {}).get("sha256"), sha256_of(path)
    if expected != actual:
        raise ModelError(
            f"{path}: sha256 {actual} does not match {expected} in {card_path}; "
            "refusing to load a model file the card does not vouch for"
        )
    try:
        with np.load(path, allow_pickle=False) as arrays:
            parts = {name: arrays[name] for name in ARRAYS}
    except ValueError as err:  # object arrays need pickle: refused
        raise ModelError(f"{path}: refusing to load: {err}") from None
    except (KeyError, OSError) as err:
        raise ModelError(f"{path}: not a labeler model file ({err})") from None
    config = json.loads(str(parts["config"]))
    if config.get("labels") != list(LABELS):
        raise ModelError(f"{path}: labels {config.get('labels')} are not {list(LABELS)}")
    tfidf = TfidfParams(
        [str(t) for t in parts["terms"]],
        parts["idf"],
        [str(w) for w in parts["stop_words"]],
        config["token_pattern"],
        config["lowercase"],
        config["sublinear_tf"],
    )
    return Model(tfidf, parts["coef"], parts["intercept"], parts["calibration"], card)

"""The trained model: load it safely, score passages, explain each flag.

A model directory holds ``model.skops`` (the fitted vectorizer and one
calibrated logistic regression per label) and ``card.json`` / ``card.md``.
Loading checks the artifact's sha256 against the card *before* reading it, and
reads it with skops restricted to :data:`TRUSTED_TYPES`, so no code in a model
file ever runs. Each label's sklearn pipeline is ``make_pipeline(vectorizer,
classifiers[label])``; we keep the vectorizer shared so a batch is tokenized once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.features import FastTfidf, term_spans
from labeler.labels import LABELS

if TYPE_CHECKING:
    from scipy import sparse

MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
EVIDENCE_TERMS = 5

# Every type a model file may contain; anything else is refused on load.
TRUSTED_TYPES = [
    "builtins.slice",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.model_selection._split.StratifiedKFold",
]


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
    """A fitted vectorizer, one calibrated classifier per label, and the card."""

    vectorizer: Any
    classifiers: dict[str, Any]
    card: dict[str, Any]
    _terms: np.ndarray = field(init=False, repr=False)
    _weights: dict[str, np.ndarray] = field(init=False, repr=False)
    _stop: frozenset[str] = field(init=False, repr=False)
    _fast: FastTfidf = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._fast = FastTfidf(self.vectorizer)
        self._terms = self.vectorizer.get_feature_names_out()
        self._stop = frozenset(self.vectorizer.get_stop_words() or ())
        self._weights = {
            label: clf.calibrated_classifiers_[0].estimator.coef_[0]
            for label, clf in self.classifiers.items()
        }

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
        """TF-IDF rows, identical to ``vectorizer.transform`` but computed in bulk."""
        return self._fast.transform(texts)

    def proba(self, X: sparse.csr_matrix) -> np.ndarray:
        """(n, 2) calibrated scores in LABELS order; 0 where no known term occurs."""
        out = np.column_stack([self.classifiers[lb].predict_proba(X)[:, 1] for lb in LABELS])
        out[X.getnnz(axis=1) == 0] = 0.0
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.proba(self.features(texts))

    def evidence(self, x: sparse.csr_matrix, text: str, label: str) -> list[dict[str, Any]]:
        """The terms that pushed ``label``'s score up most, with spans in ``text``.

        ``weight`` is the term's contribution to the label's log-odds before
        calibration (tf-idf value times coefficient); only positive ones count.
        """
        row = x.tocsr()
        contrib = row.data * self._weights[label][row.indices]
        top = np.argsort(-contrib)[:EVIDENCE_TERMS]
        chosen = {
            str(self._terms[row.indices[i]]): float(contrib[i]) for i in top if contrib[i] > 0
        }
        return [
            {"label": label, "term": term, "start": s, "end": e, "weight": round(chosen[term], 4)}
            for term, spans in term_spans(text, set(chosen), self._stop).items()
            for s, e in spans
        ]


def save_model(model: Model, directory: Path) -> None:
    """Write the artifact, then the card with the artifact's sha256."""
    import zipfile

    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    parts = {"vectorizer": model.vectorizer, "classifiers": model.classifiers}
    sio.dump(parts, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    model.card["artifact"] = {"file": MODEL_FILE, "sha256": sha256_of(path)}
    (directory / CARD_FILE).write_text(json.dumps(model.card, indent=2) + "\n", encoding="utf-8")


def load_model(directory: Path | str | None = None) -> Model:
    """Load a model directory (default: the shipped model), verifying it first."""
    import skops.io as sio

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
    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise ModelError(f"{path}: refusing to load untrusted types: {', '.join(untrusted)}")
    parts = sio.load(path, trusted=TRUSTED_TYPES)
    return Model(parts["vectorizer"], parts["classifiers"], card)

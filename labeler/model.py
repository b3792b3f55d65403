"""The trained model: load it safely, score passages, explain each flag.

A model directory holds ``model.npz`` and ``card.json`` / ``card.md``. The
artifact is plain arrays exported from the trained sklearn estimators (the
vectorizer's vocabulary and idf, and per label the logistic regression's
coefficients and its Platt calibration), read with ``allow_pickle=False``: no
code or Python object in a model file is ever loaded. Loading also checks the
artifact's sha256 against the card first, and refuses a mismatch.

Scores: ``p = 1 / (1 + exp(a * z + b))`` where ``z = x . coef + e . emb_coef +
intercept`` is the regression's log-odds over the word TF-IDF row ``x`` and the
passage's normalised mean WordLlama token embedding ``e`` (see
:mod:`labeler.embeddings`; absent in older models), and ``(a, b)`` its sigmoid
calibration, exactly as ``CalibratedClassifierCV(method="sigmoid")`` computes it.

The embedding part decomposes over the passage's whitespace chunks: ``e = S / |S|``
with ``S`` the sum of the chunks' token-vector sums ``s_c``, so chunk ``c`` adds
``emb_coef . s_c / |S|`` to the log-odds. Evidence ranks those chunk contributions
beside the TF-IDF terms'.

Two operating points per label (card ``operating_points``): ``flag`` (the most
recall at validation precision >= 0.80: what is reported as flagged) and ``review``
(validation recall >= 0.90: what a reviewer should see).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.features import FastTfidf, TfidfParams, term_spans
from labeler.labels import LABELS

if TYPE_CHECKING:
    from labeler.embeddings import Chunks, StaticEmbeddings

if TYPE_CHECKING:
    from scipy import sparse

MODEL_FILE = "model.npz"
CARD_FILE = "card.json"
EVIDENCE_TERMS = 5
ARRAYS = ("terms", "idf", "stop_words", "coef", "intercept", "calibration", "config")
OPTIONAL_ARRAYS = (
    "emb_coef",
    "severity_coef",
    "severity_emb_coef",
    "severity_intercept",
    "quiet_terms",
)
OPERATING_POINTS = ("flag", "review")

# Never evidence on their own: function words, reporting verbs and place nouns
# ("to", "her", "said", "city"); proper nouns come from the training data (quiet_terms).
_EVIDENCE_STOP = frozenset(
    "said says say told tell city town village area state country district capital "
    "province region reported according report reports news people man men woman women "
    "year years day days time week today yesterday".split()
)
# A negation's scope: the next few words, up to a clause boundary.
_NEGATION = re.compile(
    r"\b(?:no|not|never|nobody|none|nothing|neither|nor|without|no one|n't|cannot)\b"
    r"[^.;:!?,]{0,40}",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w\w+")


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
    emb_coef: np.ndarray | None = None  # (labels, dim): weights of the embedding part
    severity_coef: np.ndarray | None = None  # (features,): described (2) vs in passing (1)
    severity_emb_coef: np.ndarray | None = None  # (dim,)
    severity_intercept: float = 0.0
    quiet_terms: frozenset[str] = frozenset()  # never evidence: proper nouns of the data
    _fast: FastTfidf = field(init=False, repr=False)
    _stop: frozenset[str] = field(init=False, repr=False)
    _emb: StaticEmbeddings | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._fast = FastTfidf(self.tfidf)
        self._stop = frozenset(self.tfidf.stop_words)
        if self.emb_coef is not None:
            from labeler.embeddings import EmbeddingsMissing, StaticEmbeddings

            try:
                self._emb = StaticEmbeddings(self.card.get("embeddings", {}).get("sha256"))
            except EmbeddingsMissing as err:
                raise ModelError(f"model {self.card.get('version')}: {err}") from None

    @classmethod
    def from_sklearn(
        cls,
        vectorizer: Any,
        classifiers: dict[str, Any],
        card: dict[str, Any],
        emb_dim: int = 0,
        emb_scale: float = 1.0,
        severity: Any = None,
        quiet_terms: frozenset[str] = frozenset(),
    ) -> Model:
        """Export a fitted vectorizer and per-label ``CalibratedClassifierCV(ensemble=False)``.

        With ``emb_dim``, the classifiers were fitted on ``hstack([tfidf, emb_scale *
        embeddings])``: the last ``emb_dim`` coefficients are the embedding part (the
        scale folded in). ``severity`` is a fitted LogisticRegression on the same features.
        """
        fitted = [classifiers[label].calibrated_classifiers_[0] for label in LABELS]
        full = np.vstack([f.estimator.coef_[0] for f in fitted])
        n = full.shape[1] - emb_dim
        intercept = np.array([f.estimator.intercept_[0] for f in fitted])
        calibration = np.array([[f.calibrators[0].a_, f.calibrators[0].b_] for f in fitted])
        extra: dict[str, Any] = {}
        if emb_dim:
            extra["emb_coef"] = full[:, n:] * emb_scale
        if severity is not None:
            extra["severity_coef"] = severity.coef_[0][:n]
            extra["severity_emb_coef"] = severity.coef_[0][n:] * emb_scale if emb_dim else None
            extra["severity_intercept"] = float(severity.intercept_[0])
        return cls(
            TfidfParams.from_vectorizer(vectorizer),
            full[:, :n],
            intercept,
            calibration,
            card,
            quiet_terms=quiet_terms,
            **extra,
        )

    @property
    def version(self) -> str:
        return str(self.card["version"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {label: float(t) for label, t in self.card["thresholds"].items()}

    def operating_points(self, name: str) -> dict[str, float]:
        """Thresholds per label of operating point ``flag`` or ``review``."""
        if name == "flag":
            return self.thresholds
        points = self.card.get("operating_points", {})
        if name not in OPERATING_POINTS or name not in points:
            raise ModelError(f"model {self.version} has no operating point {name!r}")
        return {label: float(points[name][label]["threshold"]) for label in LABELS}

    def resolve_thresholds(self, given: Mapping[str, float | str] | None) -> dict[str, float]:
        """The flag thresholds, overridden per label by a number or an operating point name."""
        out = dict(self.thresholds)
        for label, value in (given or {}).items():
            out[label] = (
                self.operating_points(value)[label] if isinstance(value, str) else float(value)
            )
        return out

    @property
    def review_thresholds(self) -> dict[str, float]:
        """The review operating point; the flag one for a model that has no other."""
        if "operating_points" not in self.card:
            return self.thresholds
        return self.operating_points("review")

    @property
    def described_at(self) -> float:
        return float(self.card["described_at"])

    def features(self, texts: list[str]) -> Features:
        """TF-IDF rows (identical to the fitted vectorizer's ``transform``) and, for a model
        with embeddings, the passages' cached chunks."""
        chunks = self._emb.chunks(texts) if self._emb is not None else None
        return Features(self._fast.transform(texts), chunks)

    def _z(self, F: Features | sparse.csr_matrix) -> np.ndarray:
        F = F if isinstance(F, Features) else Features(F, None)
        z = np.asarray(F.tfidf @ self.coef.T) + self.intercept
        if self.emb_coef is not None and F.chunks is not None:
            z += F.chunks.pooled() @ self.emb_coef.T.astype(np.float32)
        return z

    def proba(self, F: Features | sparse.csr_matrix) -> np.ndarray:
        """(n, 2) calibrated scores in LABELS order; 0 where no known term occurs."""
        z = self._z(F)
        out: np.ndarray = 1.0 / (1.0 + np.exp(self.calibration[:, 0] * z + self.calibration[:, 1]))
        X = F.tfidf if isinstance(F, Features) else F
        out[X.getnnz(axis=1) == 0] = 0.0
        return out

    def described(self, F: Features) -> np.ndarray | None:
        """Per passage: is violence described (severity 2) rather than in passing (1)?
        None for a model without a severity classifier (``described_at`` then applies)."""
        if self.severity_coef is None:
            return None
        z = np.asarray(F.tfidf @ self.severity_coef) + self.severity_intercept
        if self.severity_emb_coef is not None and F.chunks is not None:
            z += F.chunks.pooled() @ self.severity_emb_coef.astype(np.float32)
        out: np.ndarray = z >= 0
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.proba(self.features(texts))

    def top_terms(
        self, F: Features | sparse.csr_matrix, flags: np.ndarray
    ) -> dict[int, list[tuple[str, str, float]]]:
        """For each flagged row and label, the terms that pushed the score up most.

        Returns ``{row: [(label, term, weight), ...]}``; ``weight`` is the term's
        contribution to the label's log-odds before calibration: its tf-idf value times
        its coefficient, plus (for a model with embeddings) the contributions of the
        whitespace chunks that are this word. Positive only, at most EVIDENCE_TERMS per
        label; function words, reporting verbs, place nouns and the data's proper nouns
        are never evidence.
        """
        F = F if isinstance(F, Features) else Features(F, None)
        X = F.tfidf
        totals: dict[tuple[int, int], dict[str, float]] = {}
        row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        terms = self.tfidf.terms
        for j in range(len(LABELS)):
            contrib = X.data * self.coef[j][X.indices]
            keep = (contrib > 0) & flags[row_of, j]
            for row, weight, feature in zip(
                row_of[keep].tolist(),
                contrib[keep].tolist(),
                X.indices[keep].tolist(),
                strict=True,
            ):
                term = terms[feature]
                if self._is_evidence(term):
                    bucket = totals.setdefault((row, j), {})
                    bucket[term] = bucket.get(term, 0.0) + weight
        if self.emb_coef is not None and F.chunks is not None:
            self._chunk_terms(F.chunks, flags, totals)
        out: dict[int, list[tuple[str, str, float]]] = {}
        for (row, j), bucket in sorted(totals.items()):
            best = sorted(bucket.items(), key=lambda item: -item[1])[:EVIDENCE_TERMS]
            out.setdefault(row, []).extend((LABELS[j], t, w) for t, w in best if w > 0)
        return out

    def _chunk_terms(
        self, chunks: Chunks, flags: np.ndarray, totals: dict[tuple[int, int], dict[str, float]]
    ) -> None:
        """Add each flagged row's chunk contributions ``emb_coef . s_c / |S|`` to ``totals``."""
        assert self.emb_coef is not None
        M = chunks.matrix
        flagged = np.asarray(np.asarray(flags).any(axis=1), dtype=bool)
        if not flagged.any():
            return
        norms = chunks.norms()
        row_of = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
        flat = [c for chunk_list in chunks.chunked for c in chunk_list]
        entry = np.flatnonzero(flagged[row_of])
        idx = M.indices[entry]
        scores = chunks.sums[idx] @ self.emb_coef.T.astype(np.float32)  # (entries, labels)
        scores /= norms[row_of[entry]][:, None]
        for j in range(len(LABELS)):
            keep = (scores[:, j] > 0) & flags[row_of[entry], j]
            for k, weight in zip(entry[keep].tolist(), scores[keep, j].tolist(), strict=True):
                term = _chunk_word(flat[k])
                if term and self._is_evidence(term):
                    bucket = totals.setdefault((int(row_of[k]), j), {})
                    bucket[term] = bucket.get(term, 0.0) + weight

    def _is_evidence(self, term: str) -> bool:
        words = term.split(" ")
        quiet = [w in self._quiet for w in words]
        return not any(quiet) and not any(w in self.quiet_terms for w in words)

    @property
    def _quiet(self) -> frozenset[str]:
        return _quiet_words(self._stop)

    def evidence(self, text: str, chosen: list[tuple[str, str, float]]) -> list[dict[str, Any]]:
        """Evidence entries for one passage's ``top_terms``, with spans in its ``text``,
        grouped by label; an occurrence inside a negation's scope ("no one was injured")
        is never credited."""
        spans = term_spans(text, {term for _, term, _ in chosen}, self._stop)
        negated = [m.span() for m in _NEGATION.finditer(text)]
        if negated:
            spans = {
                term: kept
                for term, where in spans.items()
                if (kept := [(s, e) for s, e in where if not _inside(s, e, negated)])
            }
        found = sorted(
            (c for c in chosen if c[1] in spans),
            key=lambda c: (LABELS.index(c[0]), spans[c[1]][0]),
        )
        return [
            {"label": label, "term": term, "start": s, "end": e, "weight": round(weight, 4)}
            for label, term, weight in found
            for s, e in spans[term]
        ]


@dataclass
class Features:
    """A batch's features: TF-IDF rows and (models with embeddings) the cached chunks."""

    tfidf: sparse.csr_matrix
    chunks: Chunks | None


_QUIET_CACHE: dict[frozenset[str], frozenset[str]] = {}


def _quiet_words(stop: frozenset[str]) -> frozenset[str]:
    """Words that are never evidence alone: the vectorizer's stop words, the ones it keeps
    for their signal in context ("to", "her", "no"), reporting verbs and place nouns."""
    from labeler.features import KEPT_STOP_WORDS

    if stop not in _QUIET_CACHE:
        _QUIET_CACHE[stop] = stop | KEPT_STOP_WORDS | _EVIDENCE_STOP
    return _QUIET_CACHE[stop]


def _inside(start: int, end: int, scopes: list[tuple[int, int]]) -> bool:
    return any(s < start < e for s, e in scopes)  # a term that starts in the scope


_CHUNK_WORDS: dict[str, str] = {}


def _chunk_word(chunk: str) -> str:
    """The one word (2+ word characters, lower-cased) a whitespace chunk holds, or ''."""
    word = _CHUNK_WORDS.get(chunk)
    if word is None:
        found = _WORD.findall(chunk.lower())
        word = (
            found[0] if len(found) == 1 and len(found[0]) == len(chunk.strip(".,;:!?\"'()")) else ""
        )
        if len(_CHUNK_WORDS) > 100_000:
            _CHUNK_WORDS.clear()
        _CHUNK_WORDS[chunk] = word
    return word


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
            **_optional_arrays(model),  # type: ignore[arg-type]
        )
    model.card["artifact"] = {"file": MODEL_FILE, "sha256": sha256_of(path)}
    (directory / CARD_FILE).write_text(json.dumps(model.card, indent=2) + "\n", encoding="utf-8")


def _optional_arrays(model: Model) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if model.emb_coef is not None:
        out["emb_coef"] = model.emb_coef
    if model.severity_coef is not None:
        out["severity_coef"] = model.severity_coef
        out["severity_intercept"] = np.array(model.severity_intercept)
        if model.severity_emb_coef is not None:
            out["severity_emb_coef"] = model.severity_emb_coef
    if model.quiet_terms:
        out["quiet_terms"] = np.array(sorted(model.quiet_terms))
    return out


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
            extra = {name: arrays[name] for name in OPTIONAL_ARRAYS if name in arrays.files}
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
    return Model(
        tfidf,
        parts["coef"],
        parts["intercept"],
        parts["calibration"],
        card,
        emb_coef=extra.get("emb_coef"),
        severity_coef=extra.get("severity_coef"),
        severity_emb_coef=extra.get("severity_emb_coef"),
        severity_intercept=float(extra.get("severity_intercept", 0.0)),
        quiet_terms=frozenset(str(t) for t in extra.get("quiet_terms", [])),
    )

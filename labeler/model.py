"""The trained model: load it safely, score passages, explain each flag.

A model directory holds ``model.npz`` and ``card.json`` / ``card.md``. The
artifact is plain arrays exported from the trained sklearn estimators (the
vectorizer's vocabulary and idf, and per label the logistic regression's
coefficients and its Platt calibration), read with ``allow_pickle=False``: no
code or Python object in a model file is ever loaded. Loading also checks the
artifact's sha256 against the card first, and refuses a mismatch.

Scores: ``p = 1 / (1 + exp(a * z + b))`` where ``z = x . coef + e . u + intercept``
is the regression's log-odds over the word TF-IDF row ``x`` and the passage's mean
WordLlama token embedding ``e`` (absent in older models), and ``(a, b)`` its sigmoid
calibration, exactly as ``CalibratedClassifierCV(method="sigmoid")`` computes it.
The embedding weights ``u`` are shipped folded into one score per WordLlama token
(``token_scores``; see :mod:`labeler.embeddings`), so ``e . u`` is the sum of the
passage's words' score sums divided by its token count, and each word's share of it is
exact evidence.

Two operating points per label (card ``operating_points``): ``flag`` (the most recall
at validation precision >= 0.80: what is reported as flagged) and ``review``
(validation recall >= 0.90: what enters a reviewer's queue). Severity 2 ("described")
vs 1 ("in passing") comes from a learned linear classifier on the same features.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.features import (
    KEPT_STOP_WORDS,
    NEGATED,
    FastTfidf,
    TfidfParams,
    Tokens,
    term_spans,
)
from labeler.labels import LABELS

if TYPE_CHECKING:
    from scipy import sparse

    from labeler.embeddings import WordScores

MODEL_FILE = "model.npz"
CARD_FILE = "card.json"
EVIDENCE_TERMS = 5
ARRAYS = ("terms", "idf", "stop_words", "coef", "intercept", "calibration", "config")
# A model with embeddings and learned severity also holds these.
OPTIONAL_ARRAYS = (
    "token_scores",  # (32000, labels + 1): folded embedding weights per WordLlama token
    "extra_words",  # words of the word table beyond the vectorizer's tokens and stop words
    "word_tokens",  # every table word's WordLlama token ids, concatenated
    "word_token_counts",  # tokens per table word
    "severity_coef",  # (features,): described (2) vs in passing (1)
    "severity_intercept",
    "quiet_terms",  # never evidence: the data's proper nouns
)
OPERATING_POINTS = ("flag", "review")

# Never evidence on their own: function words, reporting verbs and place nouns
# ("to", "her", "said", "city"); proper nouns come from the training data (quiet_terms).
EVIDENCE_STOP = frozenset(
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
_BIGRAM = 1 << 40  # evidence keys: a word id below, a bigram feature + _BIGRAM above
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # uncompressed, per array (the shipped largest: 0.9 MB)
MAX_CARD_BYTES = 4 * 1024 * 1024


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
class Features:
    """A batch's features: its tokens, TF-IDF rows and, for a model with embeddings, each
    passage's folded embedding score sums (labels, then severity) and token count."""

    tokens: Tokens
    tfidf: sparse.csr_matrix
    emb_sums: np.ndarray | None = None
    emb_counts: np.ndarray | None = None

    def emb_logits(self) -> np.ndarray | None:
        """The embedding part of each column's log-odds, ``e . u`` (0 without tokens)."""
        if self.emb_sums is None or self.emb_counts is None:
            return None
        out: np.ndarray = self.emb_sums / np.maximum(self.emb_counts, 1.0)[:, None]
        return out


@dataclass
class Embedding:
    """The folded embedding part of a model: one score per WordLlama token and column,
    and the word table (words with their token ids) that scoring looks words up in."""

    token_scores: np.ndarray  # (32000, labels + 1)
    extra_words: list[str]
    word_tokens: np.ndarray
    word_token_counts: np.ndarray


@dataclass
class Model:
    """TF-IDF parameters, per-label linear weights and calibration, and the card; with
    the folded embedding part and learned severity when the model has them."""

    tfidf: TfidfParams
    coef: np.ndarray  # (labels, features): log-odds weight of each term
    intercept: np.ndarray  # (labels,)
    calibration: np.ndarray  # (labels, 2): Platt (a, b)
    card: dict[str, Any]
    embedding: Embedding | None = None
    severity_coef: np.ndarray | None = None
    severity_intercept: float = 0.0
    quiet_terms: frozenset[str] = frozenset()
    _fast: FastTfidf = field(init=False, repr=False)
    _stop: frozenset[str] = field(init=False, repr=False)
    _words: WordScores | None = field(init=False, repr=False, default=None)
    _quiet: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        extra = self.embedding.extra_words if self.embedding is not None else None
        self._fast = FastTfidf(self.tfidf, extra)
        self._stop = frozenset(self.tfidf.stop_words)
        self._quiet = self._stop | KEPT_STOP_WORDS | EVIDENCE_STOP | self.quiet_terms
        words = self._fast.words()
        self._base_quiet = np.array(
            [w in self._quiet or w.startswith(NEGATED) for w in words], dtype=bool
        )
        self._feature_token = self._fast.feature_tokens()
        features, first, second = self._fast.bigram_parts()
        self._bigram_quiet = np.zeros(len(self.tfidf.terms), dtype=bool)
        self._bigram_quiet[features] = self._base_quiet[first] | self._base_quiet[second]
        if self.embedding is not None:
            from labeler.embeddings import EmbeddingsMissing, WordScores, load_tokenizer

            if len(self.embedding.word_token_counts) != self._fast.base_size:
                raise ModelError(
                    f"model {self.card.get('version')}: its word table has "
                    f"{len(self.embedding.word_token_counts)} words, its vocabulary "
                    f"{self._fast.base_size}"
                )
            try:  # the hash is checked now; the file is parsed when a word needs it
                tokenizer = load_tokenizer(
                    self.card.get("embeddings", {}).get("tokenizer_sha256"), lazy=True
                )
            except EmbeddingsMissing as err:
                raise ModelError(f"model {self.card.get('version')}: {err}") from None
            self._words = WordScores(
                self._fast.vocabulary,
                self._fast.base_size,
                self.embedding.token_scores,
                self.embedding.word_tokens,
                self.embedding.word_token_counts,
                tokenizer,
                self._quiet.__contains__,
                self._base_quiet,
                negation=self.tfidf.negation,
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
        if name == "review" and not points:  # an older model: its one operating point
            return self.thresholds
        if name not in OPERATING_POINTS or name not in points:
            raise ModelError(f"model {self.version} has no operating point {name!r}")
        return {label: float(points[name][label]["threshold"]) for label in LABELS}

    def resolve_thresholds(self, given: Mapping[str, float | str] | None) -> dict[str, float]:
        """The flag thresholds, overridden per label by a number or an operating point name.

        >>> m = load_model()
        >>> m.resolve_thresholds({"violence": "review"})["violence"] < m.thresholds["violence"]
        True
        """
        out = dict(self.thresholds)
        for label, value in (given or {}).items():
            out[label] = (
                self.operating_points(value)[label] if isinstance(value, str) else float(value)
            )
        return out

    @property
    def review_thresholds(self) -> dict[str, float]:
        """The review operating point; the flag one for a model that has no other."""
        return self.operating_points("review")

    @property
    def described_at(self) -> float:
        return float(self.card["described_at"])

    def features(self, texts: list[str]) -> Features:
        """One tokenization of the batch: TF-IDF rows (identical to the fitted
        vectorizer's ``transform``) and the folded embedding sums."""
        tokens = self._fast.tokenize(texts)
        if self._words is None:
            return Features(tokens, self._fast.transform_tokens(tokens))
        self._words.resolve(tokens)
        sums, counts = self._words.passage_sums(tokens)
        return Features(tokens, self._fast.transform_tokens(tokens), sums, counts)

    def logits(self, F: Features) -> np.ndarray:
        """(n, labels) log-odds before calibration (the regression's decision function)."""
        z: np.ndarray = np.asarray(F.tfidf @ self.coef.T) + self.intercept
        emb = F.emb_logits()
        if emb is not None:
            z += emb[:, : len(LABELS)]
        return z

    def proba(self, F: Features) -> np.ndarray:
        """(n, 2) calibrated scores in LABELS order; 0 for a passage without a word (a
        TF-IDF-only model: without a known term)."""
        z = self.logits(F)
        out: np.ndarray = 1.0 / (1.0 + np.exp(self.calibration[:, 0] * z + self.calibration[:, 1]))
        if F.emb_counts is not None:
            out[F.emb_counts == 0] = 0.0
        else:
            out[F.tfidf.getnnz(axis=1) == 0] = 0.0
        return out

    def described(self, F: Features) -> np.ndarray | None:
        """Per passage: is violence described (severity 2) rather than in passing (1)?
        None for a model without a severity classifier (``described_at`` then applies)."""
        if self.severity_coef is None:
            return None
        z = np.asarray(F.tfidf @ self.severity_coef).ravel() + self.severity_intercept
        emb = F.emb_logits()
        if emb is not None and emb.shape[1] > len(LABELS):
            z = z + emb[:, len(LABELS)]
        out: np.ndarray = z >= 0
        return out

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.proba(self.features(texts))

    def top_terms(self, F: Features, flags: np.ndarray) -> dict[int, list[tuple[str, str, float]]]:
        """For each flagged row and label, the terms that pushed the score up most.

        Returns ``{row: [(label, term, weight), ...]}``; ``weight`` is the term's
        contribution to the label's log-odds before calibration: its tf-idf value times
        its coefficient and, for a word, plus its embedding share (the word's score sum
        over the passage's token count, once per occurrence). Positive only, at most
        EVIDENCE_TERMS per label; function words, reporting verbs, place nouns and the
        data's proper nouns (alone or in a bigram) are never evidence. One pass of array
        operations over the whole batch.
        """
        X = F.tfidf
        out: dict[int, list[tuple[str, str, float]]] = {}
        if not flags.any():
            return out
        row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        quiet_words = self._words.quiet if self._words is not None else self._base_quiet
        words = self._words.words if self._words is not None else None
        for j, label in enumerate(LABELS):
            contrib = X.data * self.coef[j][X.indices]
            keep = flags[row_of, j]
            rows, features, weights = row_of[keep], X.indices[keep], contrib[keep]
            token = self._feature_token[features]
            keys = np.where(token >= 0, token, features.astype(np.int64) + _BIGRAM)
            emb = F.emb_logits()
            if emb is not None and self._words is not None and F.emb_counts is not None:
                on = flags[F.tokens.doc, j]
                if F.tokens.negated is not None:
                    on &= ~F.tokens.negated  # a negated word is never evidence
                ids, docs = F.tokens.ids[on], F.tokens.doc[on]
                share = self._words.scores[ids, j] / np.maximum(F.emb_counts[docs], 1.0)
                rows = np.concatenate([rows, docs])
                keys = np.concatenate([keys, ids])
                weights = np.concatenate([weights, share])
            if not len(keys):
                continue
            word = keys < _BIGRAM
            quiet = np.where(
                word,
                quiet_words[np.where(word, keys, 0)],
                self._bigram_quiet[np.where(word, 0, keys - _BIGRAM)],
            )
            rows, keys, weights = rows[~quiet], keys[~quiet], weights[~quiet]
            code = rows.astype(np.int64) * (_BIGRAM * 2) + keys
            unique, inverse = np.unique(code, return_inverse=True)
            total = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique))
            positive = total > 0
            unique, total = unique[positive], total[positive]
            rows, keys = unique // (_BIGRAM * 2), unique % (_BIGRAM * 2)
            order = np.lexsort((-total, rows))
            rows, keys, total = rows[order], keys[order], total[order]
            top = np.arange(len(rows)) - np.searchsorted(rows, rows) < EVIDENCE_TERMS
            for row, key, weight in zip(
                rows[top].tolist(), keys[top].tolist(), total[top].tolist(), strict=True
            ):
                term = self._term(key, words)
                out.setdefault(row, []).append((label, term, weight))
        return out

    def _term(self, key: int, words: list[str] | None) -> str:
        if key >= _BIGRAM:
            return self.tfidf.terms[key - _BIGRAM]
        if words is None:
            words = self._words_cache()
        return words[key]

    def _words_cache(self) -> list[str]:
        if not hasattr(self, "_word_list"):
            self._word_list = self._fast.words()
        return self._word_list

    def may_negate(self, F: Features) -> np.ndarray:
        """Per passage: could a negation's scope hold a term (a cue word, or an "n't")? Only
        then does :meth:`evidence` look for negations' scopes."""
        cue = self._fast.cues(F.tokens)
        out: np.ndarray = np.bincount(F.tokens.doc[cue], minlength=F.tokens.n) > 0
        return out

    def evidence(
        self, text: str, chosen: list[tuple[str, str, float]], negation: bool = True
    ) -> list[dict[str, Any]]:
        """Evidence entries for one passage's ``top_terms``, with spans in its ``text``,
        grouped by label; an occurrence starting inside a negation's scope ("no one was
        injured") is never credited.

        >>> m = load_model()
        >>> m.evidence("No one was injured, but he was stabbed.",
        ...            [("violence", "injured", 0.5), ("violence", "stabbed", 1.0)])
        [{'label': 'violence', 'term': 'stabbed', 'start': 31, 'end': 38, 'weight': 1.0}]
        """
        spans = term_spans(text, {term for _, term, _ in chosen}, self._stop)
        negated = [m.span() for m in _NEGATION.finditer(text)] if negation or "'t" in text else []
        if negated:
            spans = {
                term: kept
                for term, where in spans.items()
                if (kept := [(s, e) for s, e in where if not _inside(s, negated)])
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


def _inside(start: int, scopes: list[tuple[int, int]]) -> bool:
    return any(s < start < e for s, e in scopes)  # a term that starts in the scope


def save_model(model: Model, directory: Path) -> None:
    """Write the artifact, then the card with the artifact's sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    t = model.tfidf
    config = {
        "token_pattern": t.token_pattern,
        "lowercase": t.lowercase,
        "sublinear_tf": t.sublinear_tf,
        "negation": t.negation,
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
    if model.embedding is not None:
        e = model.embedding
        out["token_scores"] = np.asarray(e.token_scores, dtype=np.float64)
        out["extra_words"] = np.array(e.extra_words, dtype=str)
        out["word_tokens"] = np.asarray(e.word_tokens, dtype=np.int16)
        out["word_token_counts"] = np.asarray(e.word_token_counts, dtype=np.int16)
    if model.severity_coef is not None:
        out["severity_coef"] = np.asarray(model.severity_coef, dtype=np.float64)
        out["severity_intercept"] = np.array(model.severity_intercept)
    if model.quiet_terms:
        out["quiet_terms"] = np.array(sorted(model.quiet_terms), dtype=str)
    return out


def load_model(directory: Path | str | None = None) -> Model:
    """Load a model directory (default: the shipped model), verifying it first.

    Anything wrong with it is a ModelError naming the file: a card that is not a JSON
    object with a version, thresholds in [0, 1] for every label and ``described_at``; a
    file linked from outside the directory; an artifact the card's sha256 does not
    vouch for, that is not a zip of the expected arrays, whose arrays have the wrong
    shapes, or whose members would inflate beyond MAX_MEMBER_BYTES.
    """
    directory = Path(directory) if directory else default_model_dir()
    card_path, path = directory / CARD_FILE, directory / MODEL_FILE
    if not card_path.is_file() or not path.is_file():
        raise ModelError(f"{directory}: not a model directory (needs {CARD_FILE} and {MODEL_FILE})")
    for file in (card_path, path):
        if file.is_symlink() and directory.resolve() not in file.resolve().parents:
            raise ModelError(f"{file}: links outside the model directory, to {file.resolve()}")
    card = read_card(card_path)
    expected, actual = card.get("artifact", {}).get("sha256"), sha256_of(path)
    if expected != actual:
        raise ModelError(
            f"{path}: sha256 {actual} does not match {expected} in {card_path}; "
            "refusing to load a model file the card does not vouch for"
        )
    parts = _read_arrays(path)
    try:
        config = json.loads(str(parts["config"]))
        if not isinstance(config, dict):
            raise ValueError(f"a JSON {type(config).__name__}, not an object")
    except ValueError as err:
        raise ModelError(f"{path}: its config is not a JSON object ({err})") from None
    if config.get("labels") != list(LABELS):
        raise ModelError(f"{path}: labels {config.get('labels')} are not {list(LABELS)}")
    _check_shapes(path, parts, config)
    tfidf = TfidfParams(
        parts["terms"].tolist(),
        parts["idf"],
        parts["stop_words"].tolist(),
        config["token_pattern"],
        config["lowercase"],
        config["sublinear_tf"],
        bool(config.get("negation", False)),
    )
    embedding = None
    if "token_scores" in parts:
        embedding = Embedding(
            parts["token_scores"],
            parts["extra_words"].tolist(),
            parts["word_tokens"].astype(np.int64),
            parts["word_token_counts"].astype(np.int64),
        )
    return Model(
        tfidf,
        parts["coef"],
        parts["intercept"],
        parts["calibration"],
        card,
        embedding=embedding,
        severity_coef=parts.get("severity_coef"),
        severity_intercept=float(parts["severity_intercept"]) if "severity_coef" in parts else 0.0,
        quiet_terms=frozenset(str(t) for t in parts.get("quiet_terms", ())),
    )


def read_card(card_path: Path) -> dict[str, Any]:
    """A model card, checked: a JSON object with a version, thresholds and ``described_at``."""
    try:
        with card_path.open("rb") as f:
            data = f.read(MAX_CARD_BYTES + 1)
        if len(data) > MAX_CARD_BYTES:
            raise ValueError(f"larger than {MAX_CARD_BYTES:,} bytes")
        card = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ModelError(f"{card_path}: not UTF-8 text (byte {err.start})") from None
    except (OSError, ValueError) as err:
        raise ModelError(f"{card_path}: not a readable JSON model card ({err})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{card_path}: a model card is a JSON object, not {type(card).__name__}")
    if not isinstance(card.get("version"), str) or not card["version"]:
        raise ModelError(f"{card_path}: no version")
    thresholds = card.get("thresholds")
    if not isinstance(thresholds, dict):
        raise ModelError(f"{card_path}: no thresholds")
    for label in LABELS:
        if label not in thresholds:
            raise ModelError(f"{card_path}: no threshold for {label}")
    for name, value in [*thresholds.items(), ("described_at", card.get("described_at"))]:
        if not _probability(value):
            raise ModelError(f"{card_path}: {name} is {value!r}, not a number in [0, 1]")
    return card


def _probability(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and 0.0 <= value <= 1.0


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The artifact's arrays, each read only after its size is known to be sane: the
    zip's uncompressed size (zipfile never inflates past it), then the .npy header's
    shape against the bytes there are. No pickle, so no code, is ever loaded."""
    parts = {}
    try:
        with zipfile.ZipFile(path) as archive:
            present = set(archive.namelist())
            optional = [n for n in OPTIONAL_ARRAYS if f"{n}.npy" in present]
            for name in (*ARRAYS, *optional):
                info = archive.getinfo(f"{name}.npy")
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ModelError(
                        f"{path}: {name}.npy would inflate to {info.file_size:,} bytes, over "
                        f"the {MAX_MEMBER_BYTES:,}-byte limit: refusing to read it"
                    )
                with archive.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
                parts[name] = _npy(path, name, data)
    except ValueError as err:  # object arrays need pickle: refused
        raise ModelError(f"{path}: refusing to load: {err}") from None
    except (KeyError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ModelError(f"{path}: not a labeler model file ({err})") from None
    return parts


def _npy(path: Path, name: str, data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
    if math.prod(shape) * dtype.itemsize != len(data) - stream.tell():
        raise ModelError(f"{path}: {name}.npy holds fewer or more bytes than its shape {shape}")
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)  # type: ignore[no-any-return]


def _check_shapes(path: Path, parts: dict[str, np.ndarray], config: dict[str, Any]) -> None:
    """Arrays that fit together: n terms, n idf values, (labels, n) weights, and so on."""
    n, k = len(parts["terms"]), len(LABELS)
    expected = {
        "terms": (n,),
        "idf": (n,),
        "coef": (k, n),
        "intercept": (k,),
        "calibration": (k, 2),
    }
    for name, shape in expected.items():
        if parts[name].shape != shape:
            raise ModelError(f"{path}: {name} has shape {parts[name].shape}, expected {shape}")
    for name in ("idf", "coef", "intercept", "calibration"):
        if parts[name].dtype.kind not in "fiu" or not np.isfinite(parts[name]).all():
            raise ModelError(f"{path}: {name} is not all finite numbers")
    _check_optional(path, parts, n, k)
    if parts["stop_words"].ndim != 1 or parts["terms"].dtype.kind != "U":
        raise ModelError(f"{path}: terms and stop words must be lists of strings")
    kinds = {"token_pattern": str, "lowercase": bool, "sublinear_tf": bool}
    for key, kind in kinds.items():
        if not isinstance(config.get(key), kind):
            raise ModelError(f"{path}: config {key} is {config.get(key)!r}, not a {kind.__name__}")


def _check_optional(path: Path, parts: dict[str, np.ndarray], n: int, k: int) -> None:
    """The embedding part and severity arrays, when present, whole and consistent."""
    from labeler.embeddings import VOCAB

    embedding = ("token_scores", "extra_words", "word_tokens", "word_token_counts")
    have = [name for name in embedding if name in parts]
    if have and len(have) != len(embedding):
        raise ModelError(f"{path}: an embedding part needs all of {', '.join(embedding)}")
    if have:
        scores, counts, tokens = (
            parts["token_scores"],
            parts["word_token_counts"],
            parts["word_tokens"],
        )
        if (
            scores.ndim != 2
            or scores.shape[0] != VOCAB
            or scores.shape[1] not in (k, k + 1, 2 * k, 2 * (k + 1))
        ):
            raise ModelError(f"{path}: token_scores has shape {scores.shape}")
        if scores.dtype.kind != "f" or not np.isfinite(scores).all():
            raise ModelError(f"{path}: token_scores is not all finite numbers")
        if parts["extra_words"].ndim != 1 or parts["extra_words"].dtype.kind not in "U":
            raise ModelError(f"{path}: extra_words must be a list of strings")
        if counts.dtype.kind not in "iu" or tokens.dtype.kind not in "iu" or counts.ndim != 1:
            raise ModelError(f"{path}: word_tokens and word_token_counts must be integers")
        if (counts < 0).any() or int(counts.sum()) != len(tokens):
            raise ModelError(f"{path}: word_token_counts does not add up to word_tokens")
        if len(tokens) and (tokens.min() < 0 or tokens.max() >= VOCAB):
            raise ModelError(f"{path}: word_tokens holds ids outside the tokenizer's {VOCAB}")
    if "severity_coef" in parts:
        if parts["severity_coef"].shape != (n,) or "severity_intercept" not in parts:
            raise ModelError(f"{path}: severity_coef has shape {parts['severity_coef'].shape}")
        if not np.isfinite(parts["severity_coef"]).all():
            raise ModelError(f"{path}: severity_coef is not all finite numbers")

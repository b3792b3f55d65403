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
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from labeler.evidence import EVIDENCE_FILE, Lexicon
from labeler.features import FastTfidf, Rows, TfidfParams
from labeler.labels import LABELS
from labeler.sentence import SENTENCE_FILE, SentenceHead

MODEL_FILE = "model.npz"
CARD_FILE = "card.json"
ARRAYS = ("terms", "idf", "stop_words", "coef", "intercept", "calibration", "config")
SENTENCE_ARRAYS = ("char_terms", "char_idf", "coef", "intercept", "calibration", "config")
EVIDENCE_ARRAYS = ("phrases", "weights", "seeds")
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
class Scored:
    """A batch's scores, and who gave them.

    ``proba`` (n, labels) and ``described`` (n,: probability that violence is described
    rather than mentioned in passing; None for a word model, whose severity cut is on the
    violence score); ``screened[i]``: the word model cleared passage i, so the sentence
    model never scored it, and its scores are the word model's."""

    proba: np.ndarray
    described: np.ndarray | None
    screened: np.ndarray


@dataclass
class Model:
    """The word model (TF-IDF parameters, per-label linear weights and calibration), the
    sentence model when the directory has one, and the card.

    With a sentence model, the card's ``thresholds``, ``review_thresholds`` and
    ``described_at`` are the sentence model's, ``words`` holds the word model's, and
    ``screen`` the word scores under which (for every label) a passage is cleared without
    the encoder (graphic's is 1: graphic passages are violent, so violence's decides).
    :meth:`words_only` is the word model alone (``labeler score --fast``); ``evidence`` is
    the directory's evidence lexicon (``labeler.evidence``), if it has one."""

    tfidf: TfidfParams
    coef: np.ndarray  # (labels, features): log-odds weight of each term
    intercept: np.ndarray  # (labels,)
    calibration: np.ndarray  # (labels, 2): Platt (a, b)
    card: dict[str, Any]
    sentence: SentenceHead | None = None
    evidence: Lexicon | None = None
    _fast: FastTfidf | None = field(init=False, repr=False, default=None)  # built when first used
    _own_terms: Lexicon | None = field(init=False, repr=False, default=None)
    _stop: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
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
    def review_thresholds(self) -> dict[str, float]:
        """Where a label's score sends a passage to review; a model without them (trained
        before there was a review point) reviews what it flags."""
        chosen = self.card.get("review_thresholds") or self.card["thresholds"]
        return {label: float(t) for label, t in chosen.items()}

    @property
    def described_at(self) -> float:
        return float(self.card["described_at"])

    @property
    def scorer(self) -> str:
        """Which model gives the scores: ``sentence`` or ``words``."""
        return "words" if self.sentence is None else "sentence"

    def words_only(self) -> Model:
        """The word model alone, with its own operating points (itself, without a sentence
        model); its version says so: ``VERSION+words``."""
        if self.sentence is None:
            return self
        card = {**self.card, **self.card["words"], "version": f"{self.version}+words"}
        words = Model(
            self.tfidf, self.coef, self.intercept, self.calibration, card, None, self.evidence
        )
        words._fast = self._fast  # the same vectorizer, built once (a quarter of a second)
        return words

    def features(self, texts: list[str]) -> Rows:
        """TF-IDF rows, identical to the fitted vectorizer's ``transform``."""
        if self._fast is None:
            self._fast = FastTfidf(self.tfidf)
        return self._fast.transform(texts)

    def proba(self, X: Rows) -> np.ndarray:
        """(n, 2) calibrated word-model scores in LABELS order; 0 where no known term occurs."""
        z = X.dot(self.coef) + self.intercept
        out: np.ndarray = 1.0 / (1.0 + np.exp(self.calibration[:, 0] * z + self.calibration[:, 1]))
        out[np.diff(X.indptr) == 0] = 0.0
        return out

    def score(self, texts: list[str], X: Rows | None = None) -> Scored:
        """The model's scores of ``texts`` (word rows ``X`` if already computed): the word
        model's, or the sentence model's for every passage the screen does not clear."""
        X = self.features(texts) if X is None else X
        words = self.proba(X)
        if self.sentence is None:
            return Scored(words, None, np.zeros(len(texts), dtype=bool))
        cut = np.array([self.card["screen"][label] for label in LABELS])
        screened = np.asarray((words < cut).all(axis=1))
        keep = np.flatnonzero(~screened)
        proba, described = words.copy(), np.zeros(len(texts))
        if len(keep):
            proba[keep], described[keep] = self.sentence.scores(
                [texts[i] for i in keep.tolist()], X.take(keep)
            )
        return Scored(proba, described, screened)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.score(texts).proba

    @property
    def lexicon(self) -> Lexicon:
        """The evidence lexicon: the directory's (``evidence.npz``), else the word model's
        own content terms."""
        if self.evidence is not None:
            return self.evidence
        if self._own_terms is None:
            self._own_terms = Lexicon.from_terms(self.tfidf.terms, self.coef)
        return self._own_terms


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
    if model.sentence is not None:
        head = directory / SENTENCE_FILE
        with head.open("wb") as f:
            np.savez_compressed(f, **model.sentence.arrays())  # type: ignore[arg-type]
        model.card["sentence"] = {"file": SENTENCE_FILE, "sha256": sha256_of(head)}
    if model.evidence is not None:
        model.card["evidence"] = _save_lexicon(model.evidence, directory)
    (directory / CARD_FILE).write_text(json.dumps(model.card, indent=2) + "\n", encoding="utf-8")


def save_evidence(lexicon: Lexicon, directory: Path) -> None:
    """Give a saved model directory this evidence lexicon (its card vouching for it)."""
    card_path = directory / CARD_FILE
    card = read_card(card_path)
    card["evidence"] = _save_lexicon(lexicon, directory)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def _save_lexicon(lexicon: Lexicon, directory: Path) -> dict[str, str]:
    path = directory / EVIDENCE_FILE
    with path.open("wb") as f:
        np.savez_compressed(f, **lexicon.arrays())  # type: ignore[arg-type]
    return {"file": EVIDENCE_FILE, "sha256": sha256_of(path)}


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
        _linked_inside(directory, file)
    card = read_card(card_path)
    _vouched(path, card.get("artifact"), card_path)
    parts = _read_arrays(path, ARRAYS)
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
        [str(t) for t in parts["terms"]],
        parts["idf"],
        [str(w) for w in parts["stop_words"]],
        config["token_pattern"],
        config["lowercase"],
        config["sublinear_tf"],
    )
    sentence = None
    if "sentence" in card:
        head = directory / SENTENCE_FILE
        _linked_inside(directory, head)
        _vouched(head, card["sentence"], card_path)
        try:
            sentence = SentenceHead.from_arrays(
                _read_arrays(head, SENTENCE_ARRAYS), len(tfidf.terms)
            )
        except ValueError as err:
            raise ModelError(f"{head}: {err}") from None
        for key in ("words", "screen", "review_thresholds"):
            if not isinstance(card.get(key), dict):
                raise ModelError(f"{card_path}: a model with {SENTENCE_FILE} needs {key}")
    evidence = None
    if "evidence" in card:
        lexicon = directory / EVIDENCE_FILE
        _linked_inside(directory, lexicon)
        _vouched(lexicon, card["evidence"], card_path)
        try:
            evidence = Lexicon.from_arrays(_read_arrays(lexicon, EVIDENCE_ARRAYS))
        except ValueError as err:
            raise ModelError(f"{lexicon}: {err}") from None
    return Model(
        tfidf, parts["coef"], parts["intercept"], parts["calibration"], card, sentence, evidence
    )


def _linked_inside(directory: Path, file: Path) -> None:
    if file.is_symlink() and directory.resolve() not in file.resolve().parents:
        raise ModelError(f"{file}: links outside the model directory, to {file.resolve()}")


def _vouched(path: Path, entry: Any, card_path: Path) -> None:
    """Refuse a file whose sha256 is not the one the card gives for it."""
    expected = entry.get("sha256") if isinstance(entry, dict) else None
    if not path.is_file():
        raise ModelError(f"{path}: missing, though {card_path} names it")
    actual = sha256_of(path)
    if expected != actual:
        raise ModelError(
            f"{path}: sha256 {actual} does not match {expected} in {card_path}; "
            "refusing to load a model file the card does not vouch for"
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
    _operating_points(card_path, card, "")
    if isinstance(card.get("words"), dict):
        _operating_points(card_path, card["words"], "words: ")
    return card


def _operating_points(card_path: Path, card: dict[str, Any], where: str) -> None:
    """Thresholds for every label and ``described_at``, and the review thresholds and
    screen where given: all numbers in [0, 1]."""
    for key in ("thresholds", "review_thresholds", "screen"):
        chosen = card.get(key)
        if chosen is None and key != "thresholds":
            continue
        if not isinstance(chosen, dict):
            raise ModelError(f"{card_path}: {where}no {key}")
        for label in LABELS:
            if label not in chosen:
                raise ModelError(f"{card_path}: {where}no {key} for {label}")
        unknown = sorted(chosen.keys() - set(LABELS))
        if unknown:
            raise ModelError(
                f"{card_path}: {where}a {key.removesuffix('s')} for {unknown[0]!r}, not a label"
                f" ({', '.join(LABELS)})"
            )
        for label in LABELS:
            if not _probability(chosen[label]):
                value = chosen[label]
                raise ModelError(
                    f"{card_path}: {where}{key} {label} is {value!r}, not a number in [0, 1]"
                )
    cut = card.get("described_at")
    if not _probability(cut):
        raise ModelError(f"{card_path}: {where}described_at is {cut!r}, not a number in [0, 1]")


def _probability(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and 0.0 <= value <= 1.0


def _read_arrays(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The artifact's arrays, each read only after its size is known to be sane: the
    zip's uncompressed size (zipfile never inflates past it), then the .npy header's
    shape against the bytes there are. No pickle, so no code, is ever loaded."""
    parts = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in names:
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
    if parts["stop_words"].ndim != 1 or parts["terms"].dtype.kind != "U":
        raise ModelError(f"{path}: terms and stop words must be lists of strings")
    kinds = {"token_pattern": str, "lowercase": bool, "sublinear_tf": bool}
    for key, kind in kinds.items():
        if not isinstance(config.get(key), kind):
            raise ModelError(f"{path}: config {key} is {config.get(key)!r}, not a {kind.__name__}")
    try:
        re.compile(config["token_pattern"])
    except re.error as err:
        raise ModelError(
            f"{path}: config token_pattern is not a regular expression: {err}"
        ) from None

"""Fit the model: shared vectorizer, one calibrated logistic regression per label.

Probabilities are calibrated with Platt scaling fitted on cross-validated
decision values (``CalibratedClassifierCV(ensemble=False)``), so each label keeps
a single linear model whose coefficients explain its flags. Thresholds are then
chosen on the validation split: the lowest score whose precision reaches the
target, i.e. the most recall at that precision.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from labeler.features import make_vectorizer
from labeler.labels import LABELS
from labeler.learn.dataset import Row, data_files, split_of
from labeler.model import Model, sha256_of

TARGET_PRECISION = 0.80
REVIEWED = "reviewed"  # the source name of passages labelled in the review store
MAX_SOURCE_WEIGHT = 1500.0  # a big template set (hatecheck) must not dominate
VAL_SOURCE_CAP = 150.0  # the same, when choosing thresholds on the validation split

# Leave-one-source-out: the held-out "sources" are these groups of data sources.
LOSO_SOURCES: dict[str, tuple[str, ...]] = {
    "news": ("ag_news_test", "india_police_events"),
    "fan fiction": ("trigger_warnings_passages",),
    "Reddit": ("goemotions_reddit",),
    "HateCheck": ("hatecheck",),
    "ETHOS": ("ethos",),
    "XSTest": ("xstest",),
    "authored": ("authored",),
}


def loso_folds(rows: list[Row]) -> list[tuple[str, list[Row], list[Row]]]:
    """``(name, rows of every other source, every row of this source)`` per held-out
    source that has rows; the caller splits the first part into train and validation."""
    folds = []
    for name, sources in LOSO_SOURCES.items():
        held = [r for r in rows if r.source in sources]
        if held:
            folds.append((name, [r for r in rows if r.source not in sources], held))
    return folds


def source_weights(rows: list[Row], cap: float = MAX_SOURCE_WEIGHT) -> np.ndarray:
    """Per-row weights so that no source counts for more than ``cap`` rows."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.source] = counts.get(r.source, 0) + 1
    return np.array([min(1.0, cap / counts[r.source]) for r in rows])


# Per label: the regression's C and the embedding columns' scale, chosen by mean
# leave-one-source-out AUPRC over news, fan fiction and Reddit (plain regressions, no
# calibration). Violence: C=4 with scale 0.5, 1, 2 gave 0.525, 0.520, 0.511; C=1 with
# scale 1, 2 gave 0.532, 0.519, but C=1 reached validation precision 0.80 only at recall
# 0.29 (C=4: 0.48), so the flag point would catch far less: C=4, scale 0.5. Graphic:
# C=4 with scale 0, 0.5, 1 gave 0.147, 0.156, 0.132; C=1, scale 1: 0.131.
LABEL_SETTINGS: dict[str, dict[str, float]] = {
    "violence": {"C": 4.0, "scale": 0.5},
    "graphic": {"C": 4.0, "scale": 0.5},
}
SEVERITY_SCALE = 1.0


def fit_classifier(X: Any, y: np.ndarray, weights: np.ndarray, C: float = 4.0) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    base = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    clf = CalibratedClassifierCV(base, method="sigmoid", cv=StratifiedKFold(5), ensemble=False)
    return clf.fit(X, y, sample_weight=weights)


def choose_threshold(
    y: np.ndarray, p: np.ndarray, target: float, weights: np.ndarray | None = None
) -> dict[str, float]:
    """The lowest threshold with (weighted) precision >= target: the most recall there.

    >>> choose_threshold(np.array([0, 1, 0, 1, 1]), np.array([.1, .4, .5, .8, .9]), 0.9)
    {'threshold': 0.8, 'precision': 1.0, 'recall': 0.6667}
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p, sample_weight=weights)
    ok = np.flatnonzero(precision[:-1] >= target)
    i = int(ok[0]) if ok.size else int(np.argmax(precision[:-1]))
    return {
        "threshold": float(thresholds[i]),
        "precision": round(float(precision[i]), 4),
        "recall": round(float(recall[i]), 4),
    }


def choose_described_at(rows: list[Row], p_violence: np.ndarray, floor: float) -> float:
    """Violence score separating 'described' (2) from 'in passing' (1) on seed rows.

    Picks the cut with the best balanced accuracy among hand-labelled non-graphic
    violent rows; never below the violence threshold.
    """
    pick = [i for i, r in enumerate(rows) if r.severity in (1, 2)]
    if len(pick) < 10:
        return floor
    y = np.array([rows[i].severity == 2 for i in pick])
    p = p_violence[pick]
    best, best_score = floor, -1.0
    for cut in np.unique(p[p >= floor]):
        pred = p >= cut
        score = (pred[y].mean() if y.any() else 0) + ((~pred[~y]).mean() if (~y).any() else 0)
        if score > best_score:
            best, best_score = float(cut), score
    return best


EMB_SCALE = 1.0  # embedding columns' weight beside the TF-IDF ones, after EMB_NORM
SHIP_EMBEDDINGS = True  # the shipped recipe: TF-IDF + folded WordLlama embeddings
TARGET_RECALL = 0.90  # the review operating point


def choose_review_threshold(
    y: np.ndarray, p: np.ndarray, target: float, weights: np.ndarray | None = None
) -> dict[str, float]:
    """The highest threshold with (weighted) recall >= target: the fewest passages to
    review while catching that share.

    >>> choose_review_threshold(np.array([0, 1, 0, 1, 1]), np.array([.1, .4, .5, .8, .9]), 0.9)
    {'threshold': 0.4, 'precision': 0.75, 'recall': 1.0}
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p, sample_weight=weights)
    ok = np.flatnonzero(recall[:-1] >= target)
    i = int(ok[-1]) if ok.size else 0
    return {
        "threshold": float(thresholds[i]),
        "precision": round(float(precision[i]), 4),
        "recall": round(float(recall[i]), 4),
    }


class Featurizer:
    """Training-time features: the word TF-IDF and, with embeddings, the passages' mean
    WordLlama token vectors (the full vectors the shipped model scores in folded form),
    hstacked after scaling by ``scale``.

    The word table holds every word of ``table_texts`` (all labelled rows), so training
    never meets an unknown word; the mean vectors come from the same tokenization as
    the TF-IDF rows (:class:`labeler.features.FastTfidf`).
    """

    def __init__(
        self, vectorizer: Any, embeddings: bool, table_texts: list[str], scale: float = EMB_SCALE
    ) -> None:
        from labeler.features import FastTfidf, TfidfParams

        self.vectorizer = vectorizer
        self.params = TfidfParams.from_vectorizer(vectorizer)
        self.embeddings = embeddings
        self.scale = scale
        if not embeddings:
            return
        from labeler.embeddings import (
            encode_words,
            load_tokenizer,
            token_vectors,
            tokenizer_sha256,
            weights_sha256,
            word_sums,
        )

        plain = FastTfidf(self.params)
        seen = set(plain.vocabulary)
        tokens = plain.tokenize(table_texts)
        words = sorted({tokens.words[i] for i in tokens.at.tolist()} - seen)
        self.extra_words = words
        self.fast = FastTfidf(self.params, words)
        self.table = self.fast.words()
        self.word_tokens, self.word_token_counts = encode_words(load_tokenizer(), self.table)
        self.vectors = token_vectors()
        self.word_vectors = word_sums(
            self.vectors, self.word_tokens, self.word_token_counts
        ).astype(np.float32)
        self.weights_sha256, self.tokenizer_sha256 = weights_sha256(), tokenizer_sha256()
        # a fixed normalisation: the mean vectors' typical length over the table's rows
        means = self.mean([t for t in table_texts[:5000]])
        norms = np.linalg.norm(means, axis=1)
        self.norm = float(np.median(norms[norms > 0])) if (norms > 0).any() else 1.0
        self.factor = self.scale / self.norm  # the embedding columns are factor * mean

    def mean(self, texts: list[str]) -> np.ndarray:
        from labeler.embeddings import encode_words, load_tokenizer, mean_embeddings, word_sums

        tokens = self.fast.tokenize(texts)
        vectors, counts = self.word_vectors, self.word_token_counts
        unknown = np.flatnonzero(tokens.ids < 0)
        if unknown.size:  # words beyond the table (texts not in the training data)
            new = sorted({tokens.word(i) for i in unknown.tolist()})
            flat, lengths = encode_words(load_tokenizer(), new)
            at = {w: len(counts) + i for i, w in enumerate(new)}
            vectors = np.vstack([vectors, word_sums(self.vectors, flat, lengths)])
            counts = np.concatenate([counts, lengths])
            tokens.ids[unknown] = [at[tokens.word(i)] for i in unknown.tolist()]
        return mean_embeddings(tokens.ids, tokens.doc, len(texts), vectors, counts, tokens.negated)

    def __call__(self, texts: list[str], scale: float = 1.0) -> Any:
        """The hstacked features, the embedding columns times ``factor * scale``."""
        from scipy import sparse

        X = self.vectorizer.transform(texts)
        if not self.embeddings:
            return X
        E = self.mean(texts) * (self.factor * scale)
        return sparse.hstack([X, sparse.csr_matrix(E)]).tocsr()

    def fold(self, weights: np.ndarray, scales: np.ndarray | None = None) -> np.ndarray:
        """Embedding-column weights (columns x 256, or x 512 with a negated block) -> one
        score per token (32000 x columns, or x 2 columns: plain, then negated):
        ``u . (factor * mean) = mean . (factor * u)``, and the mean is over tokens."""
        E = np.asarray(self.vectors, dtype=np.float64)
        dim = E.shape[1]
        factor = self.factor * (np.ones(len(weights)) if scales is None else scales)
        blocks = [weights[:, i : i + dim] for i in range(0, weights.shape[1], dim)]
        return np.hstack([E @ (factor[:, None] * b).T for b in blocks])


def fit_severity(rows: list[Row], featurize: Any) -> Any:
    """Described (2) vs in passing (1), on hand-labelled violent, non-graphic rows."""
    from sklearn.linear_model import LogisticRegression

    part = [r for r in rows if r.severity in (1, 2) and r.labels["graphic"] != 1]
    if len(part) < 20 or len({r.severity for r in part}) < 2:
        return None
    y = np.array([r.severity == 2 for r in part])
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000)
    X = featurize([r.text for r in part], SEVERITY_SCALE)
    return clf.fit(X, y, sample_weight=source_weights(part))


def proper_nouns(texts: list[str], min_seen: int = 3, share: float = 0.8) -> frozenset[str]:
    """Words capitalised in at least ``share`` of their mid-sentence occurrences: names
    of people and places, never evidence of violence on their own.

    >>> sorted(proper_nouns(["They fled Iraq. Then in Iraq, and Iraq again to iraq."], 2, .7))
    ['iraq']
    """
    import re

    seen: dict[str, list[int]] = {}
    for text in texts:
        for m in re.finditer(r"(?<=[\w,;:] )(\w\w+)", text):
            word = m.group(1)
            counts = seen.setdefault(word.lower(), [0, 0])
            counts[0] += 1
            counts[1] += word[0].isupper()
    return frozenset(w for w, (n, up) in seen.items() if n >= min_seen and up >= share * n)


def train(
    data_dir: Path,
    target_precision: float = TARGET_PRECISION,
    extra: list[Row] | None = None,
    rows: list[Row] | None = None,
    embeddings: bool = SHIP_EMBEDDINGS,
    target_recall: float = TARGET_RECALL,
    table_rows: list[Row] | None = None,
) -> tuple[Model, list[Row]]:
    """Fit on the train split, tune both operating points on validation; returns model
    and rows (:func:`fit` gives the fitted estimators too)."""
    fitted = fit(data_dir, target_precision, extra, rows, embeddings, target_recall, table_rows)
    return fitted.model, fitted.rows


@dataclass
class Fitted:
    """A trained model, its rows, and what it was exported from: the training-time
    featurizer and the sklearn estimators (to check the export against)."""

    model: Model
    rows: list[Row]
    featurize: Featurizer
    classifiers: dict[str, Any]
    severity: Any


def fit(
    data_dir: Path,
    target_precision: float = TARGET_PRECISION,
    extra: list[Row] | None = None,
    rows: list[Row] | None = None,
    embeddings: bool = SHIP_EMBEDDINGS,
    target_recall: float = TARGET_RECALL,
    table_rows: list[Row] | None = None,
) -> Fitted:
    """Fit on the train split, tune both operating points on validation.

    ``extra`` rows (reviewed passages from the store) join the training data and
    are split by the same grouped rule. ``rows`` replaces the data directory's rows
    (leave-one-source-out, tests on a subset); ``table_rows`` (default: the rows) give
    the word table's words, which only saves scoring from the tokenizer, never changes
    a score.
    """
    from labeler.learn.dataset import load_rows
    from labeler.model import Embedding

    if rows is None:
        rows = load_rows(data_dir)
    rows = rows + list(extra or [])
    train_rows = [r for r in rows if split_of(r.group) == "train"]
    val_rows = [r for r in rows if split_of(r.group) == "val"]
    vectorizer = make_vectorizer().fit([r.text for r in train_rows])
    table = [r.text for r in (table_rows if table_rows is not None else rows)]
    featurize = Featurizer(vectorizer, embeddings, table)
    classifiers, thresholds, review = {}, {}, {}
    for label in LABELS:
        setting = LABEL_SETTINGS[label]
        part = [r for r in train_rows if r.labels[label] is not None]
        X = featurize([r.text for r in part], setting["scale"])
        y = np.array([r.labels[label] for r in part])
        classifiers[label] = fit_classifier(X, y, source_weights(part), setting["C"])
        val = [r for r in val_rows if r.labels[label] is not None]
        X_val = featurize([r.text for r in val], setting["scale"])
        p = classifiers[label].predict_proba(X_val)[:, 1]
        y_val = np.array([r.labels[label] for r in val])
        # big sources are capped, so the template set alone does not set the threshold
        weights = source_weights(val, VAL_SOURCE_CAP)
        thresholds[label] = choose_threshold(y_val, p, target_precision, weights)
        review[label] = choose_review_threshold(y_val, p, target_recall, weights)
        review[label]["threshold"] = min(review[label]["threshold"], thresholds[label]["threshold"])
    severity = fit_severity(train_rows, featurize)
    card = make_card(data_dir, rows, thresholds, 1.0, target_precision)
    card["operating_points"] = {
        "flag": {lb: {**t, "threshold": round(t["threshold"], 6)} for lb, t in thresholds.items()},
        "review": {lb: {**t, "threshold": round(t["threshold"], 6)} for lb, t in review.items()},
    }
    card["target_recall"] = target_recall
    card["severity"] = (
        "learned: logistic regression on hand-labelled violent, non-graphic rows, "
        "described (2) vs in passing (1)"
        if severity is not None
        else "no severity labels: violence score cut"
    )
    fitted = [classifiers[label].calibrated_classifiers_[0] for label in LABELS]
    full = np.vstack([f.estimator.coef_[0] for f in fitted])
    n = len(featurize.params.terms)
    intercept = np.array([f.estimator.intercept_[0] for f in fitted])
    calibration = np.array([[f.calibrators[0].a_, f.calibrators[0].b_] for f in fitted])
    embedding = None
    if embeddings:
        columns = full[:, n:]
        scales = [LABEL_SETTINGS[label]["scale"] for label in LABELS]
        if severity is not None:
            columns = np.vstack([columns, severity.coef_[0][n:]])
            scales.append(SEVERITY_SCALE)
        embedding = Embedding(
            featurize.fold(columns, np.array(scales)),
            featurize.extra_words,
            featurize.word_tokens,
            featurize.word_token_counts,
        )
        card["embeddings"] = {
            "package": "wordllama",
            "weights": "wordllama/weights/l2_supercat_256.safetensors",
            "weights_sha256": featurize.weights_sha256,
            "tokenizer": "wordllama/tokenizers/l2_supercat_tokenizer_config.json",
            "tokenizer_sha256": featurize.tokenizer_sha256,
            "dim": int(featurize.vectors.shape[1]),
            "scale": {**{lb: LABEL_SETTINGS[lb]["scale"] for lb in LABELS}, "severity": 1.0},
            "C": {lb: LABEL_SETTINGS[lb]["C"] for lb in LABELS},
            "mean_norm": round(featurize.norm, 6),
            "table_words": len(featurize.table),
            "pooling": "mean over the WordLlama tokens of the passage's word tokens "
            "(lower-cased, \\b\\w\\w+\\b, stop words included); not normalised, so "
            "the weights fold into one score per token",
        }
    model = Model(
        featurize.params,
        full[:, :n],
        intercept,
        calibration,
        card,
        embedding=embedding,
        severity_coef=severity.coef_[0][:n] if severity is not None else None,
        severity_intercept=float(severity.intercept_[0]) if severity is not None else 0.0,
        quiet_terms=proper_nouns([r.text for r in train_rows]),
    )
    model.card["folded_token_scores_sha256"] = (
        hashlib.sha256(np.ascontiguousarray(embedding.token_scores).tobytes()).hexdigest()
        if embedding is not None
        else None
    )
    return Fitted(model, rows, featurize, classifiers, severity)


def make_card(
    data_dir: Path,
    rows: list[Row],
    thresholds: dict[str, dict[str, float]],
    described_at: float,
    target_precision: float,
) -> dict[str, Any]:
    """The model card: what the model was trained on, with what, and how it did."""
    import sklearn

    files = {str(p.relative_to(data_dir)): sha256_of(p) for p in data_files(data_dir)}
    reviewed = sorted(f"{r.id}:{r.labels}:{r.severity}" for r in rows if r.source == REVIEWED)
    digest = "".join(sorted(files.values())) + "".join(reviewed)
    data_hash = hashlib.sha256(digest.encode()).hexdigest()[:8]
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r.source, {"train": 0, "val": 0, "test": 0})
        c[split_of(r.group)] += 1
    return {
        "version": f"{date.today().isoformat()}-{data_hash}",
        "data_hash": data_hash,
        "target_precision": target_precision,
        "thresholds": {label: round(t["threshold"], 6) for label, t in thresholds.items()},
        "validation_at_threshold": {
            label: {k: v for k, v in t.items() if k != "threshold"}
            for label, t in thresholds.items()
        },
        "described_at": round(described_at, 6),
        "data_files": files,
        "rows_by_source": counts,
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "intended_use": (
            "Flag English passages (news copy, user stories, fiction) that describe violence "
            "or depict it graphically, for a human reviewer to confirm. Not a sole basis for "
            "removing content or judging people."
        ),
        "limitations": [
            "Linear in words: a bag of word n-grams and of static word embeddings. Negation is "
            "a three-word window in the clause, so irony, sarcasm and condemnation phrased "
            "without a cue word are not understood.",
            "Graphic positives stay rare (the seed set and round 4's few hundred): at the flag "
            "operating point (validation precision 0.80) graphic recall is low; use the "
            "review point for graphic.",
            "Trained on English; 2002-2005 news, fan fiction, and synthetic threat templates.",
            "Training data includes non-commercial (AG News) and unlicensed research text "
            "(IndiaPoliceEvents): check those terms before commercial use of these weights.",
        ],
    }


COMPARISON_FILE = "feature_comparison.json"  # beside training/data: compare_features' output


def feature_comparison(data_dir: Path) -> dict[str, Any] | None:
    """The side-by-side feature table (``python -m training.compare_features``), if run."""
    import json

    path = data_dir.parent / COMPARISON_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def train_and_save(
    data_dir: Path, out_dir: Path, reports_dir: Path, embeddings: bool = SHIP_EMBEDDINGS
) -> str:
    """Train, evaluate on the test split, write the model and its card; return the table."""
    from labeler.learn.evaluation import (
        evaluate,
        format_loso,
        format_table,
        leave_one_source_out,
        plot_pr_curves,
        pr_points,
        severity_kappa,
        write_metrics,
    )
    from labeler.model import save_model

    model, rows = train(data_dir, embeddings=embeddings)
    report = evaluate(model, rows)
    model.card["metrics"] = {"test": report["model"], "baseline_test": report["baseline"]}
    if report.get("model_review"):
        model.card["metrics"]["test_at_review"] = report["model_review"]
    model.card["severity_kappa_test"] = severity_kappa(model, report["_rows"])
    model.card["leave_one_source_out"] = leave_one_source_out(data_dir, rows, embeddings)
    model.card["feature_comparison"] = feature_comparison(data_dir)
    model.card["pr_curve"] = pr_points(report["_rows"], report["_proba"]["model"])
    model.card["hard_cases"] = hard_cases(model, data_dir)
    save_model(model, out_dir)
    table = format_loso(model.card["leave_one_source_out"]) + "\n\n" + format_table(report)
    (out_dir / "card.md").write_text(card_markdown(model.card, table), encoding="utf-8")
    write_metrics(report, reports_dir / "metrics.json")
    plot_pr_curves(report, reports_dir)
    return table


def hard_cases(model: Model, data_dir: Path) -> list[dict[str, Any]]:
    """Each regression case's scores against its operating point's thresholds (never
    trained on: the cases file is not a data file)."""
    from labeler.learn.feedback import load_cases

    cases = load_cases(data_dir) or []
    proba = model.predict_proba([c["text"] for c in cases]) if cases else np.zeros((0, 2))
    out = []
    for case, row in zip(cases, proba.tolist(), strict=True):
        limits = model.operating_points(case.get("point", "flag"))
        checks = {
            label: {
                "expected": case[label],
                "score": round(p, 4),
                "threshold": round(limits[label], 4),
                "passed": (p >= limits[label]) == bool(case[label]),
            }
            for label, p in zip(LABELS, row, strict=True)
            if case.get(label) is not None
        }
        out.append({"text": case["text"], "point": case.get("point", "flag"), "labels": checks})
    return out


def format_hard_cases(cases: list[dict[str, Any]]) -> str:
    lines = ["| case | point | violence | graphic | passed |", "|---|---|---|---|---|"]

    def cell(c: dict[str, Any] | None) -> str:
        if c is None:
            return "–"
        op = "≥" if c["score"] >= c["threshold"] else "<"
        return f"{c['score']:.3f} {op} {c['threshold']:.3f} (want {c['expected']})"

    for case in cases:
        labels = case["labels"]
        ok = all(c["passed"] for c in labels.values())
        text = case["text"] if len(case["text"]) <= 70 else case["text"][:67] + "..."
        lines.append(
            f"| {text.replace('|', '/')} | {case['point']} | {cell(labels.get('violence'))} | "
            f"{cell(labels.get('graphic'))} | {'yes' if ok else '**NO**'} |"
        )
    return "\n".join(lines)


def format_comparison(comparison: dict[str, Any] | None) -> str:
    """The side-by-side feature table as Markdown (rows: variant; columns: evaluation)."""
    if not comparison:
        return "(not run: python -m training.compare_features --minilm)"
    table = comparison["auprc"]
    columns = list(next(iter(table.values())))
    head = "| variant | " + " | ".join(f"{c} V / G" for c in columns) + " |"
    lines = [head, "|---" * (len(columns) + 1) + "|"]

    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    for name, cells in table.items():
        lines.append(
            f"| {name} | "
            + " | ".join(f"{f(cells[c]['violence'])} / {f(cells[c]['graphic'])}" for c in columns)
            + " |"
        )
    return "\n".join(lines)


def card_markdown(card: dict[str, Any], table: str) -> str:
    """The human-readable model card."""
    points = "\n".join(
        f"- `{label}` {name} ≥ {t['threshold']:.4f} (validation precision {t['precision']}, "
        f"recall {t['recall']})"
        for name, labels in card.get("operating_points", {}).items()
        for label, t in labels.items()
    )
    comparison = format_comparison(card.get("feature_comparison"))
    emb = card.get("embeddings", {})
    kappa = card.get("severity_kappa_test", {})
    files = "\n".join(
        f"- `{name}` sha256 `{digest}`" for name, digest in card["data_files"].items()
    )
    counts = "\n".join(f"- {source}: {c}" for source, c in card["rows_by_source"].items())
    libs = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    limits = "\n".join(f"- {item}" for item in card["limitations"])
    return f"""# Model card: {card["version"]}

## Intended use
{card["intended_use"]}

## Model
Per label, one class-balanced logistic regression, calibrated with Platt scaling on 5-fold
cross-validated scores, over two feature sets from one tokenization of the passage
(lower-cased word tokens):

- word 1-2-gram TF-IDF, where a word within 3 words of a negation cue in its clause
  ("no one was **injured**", "**violence** is never the answer") is its own feature,
  `NOT_word`;
- the mean WordLlama static token embedding of the passage's words (256 dimensions, plus
  256 for the words of negated clauses), from `{emb.get("weights", "-")}`
  (sha256 `{emb.get("weights_sha256", "-")}`). Its weights are folded after training into
  one score per WordLlama token and column (`token_scores`, sha256
  `{card.get("folded_token_scores_sha256") or "-"}`), so scoring looks each word up in a
  table of {emb.get("table_words", "-")} words (the tokenizer
  `{emb.get("tokenizer", "-")}`, sha256 `{emb.get("tokenizer_sha256", "-")}`, checked at
  load, encodes only words the table lacks) and never builds a vector; the folded scores
  equal the full-vector model's decision function (tests/test_embeddings.py).

Scores are probabilities that a reviewer following the rubric gives the label. Severity 2
("described") vs 1 ("in passing"): {card.get("severity", "-")}; weighted kappa between
predicted and labelled severity (0-3) on the test split:
{kappa.get("kappa")} (n = {kappa.get("n")}).

## Operating points (chosen on the validation split)
{points}

## Leave one source out, then the in-domain test split
Leave one source out: trained without the source, tested on all of it. Test split: model vs
a plain TF-IDF + LogisticRegression baseline.
```
{table}
```

## Feature comparison (AUPRC; same rows, same logistic regression, no calibration)
`python -m training.compare_features --minilm`: the in-domain test split, then each source
held out (trained on the train split of the others).

{comparison}

## Hard cases (training/data/regression_cases.jsonl, never trained on)
Each must hold at its operating point (score against that point's threshold).

{format_hard_cases(card.get("hard_cases", []))}

## Data (rows by source and split)
{counts}

{files}

## Libraries
{libs}

## Limitations
{limits}
"""

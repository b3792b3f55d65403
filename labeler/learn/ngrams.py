"""N-gram counts of every training text, counted once; TF-IDF fitted on any subset of them.

Leave-one-source-out fits the recipe on many subsets of the same rows, and counting
character n-grams in Python is the slow part. So each analyzer (word 1-2-grams, char_wb
2-5-grams) counts every text once, over a vocabulary of everything seen, and
:class:`Tfidf` is fitted on rows of those counts: the n-grams in at least ``min_df`` of
them (the ``max_features`` most frequent), their idf, then sublinear tf times idf,
l2-normalised — what ``TfidfVectorizer`` fitted on those texts computes (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.features import stop_words
from labeler.tokens import TOKEN_PATTERN

ANALYZERS: dict[str, dict[str, Any]] = {
    "word": {
        "token_pattern": TOKEN_PATTERN,
        "ngram_range": (1, 2),
        "min_df": 2,
        "max_features": 60_000,
    },
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 3, "max_features": None},
}


def counter(name: str) -> Any:
    """An unfitted CountVectorizer of one analyzer, keeping every n-gram."""
    from sklearn.feature_extraction.text import CountVectorizer

    settings = {k: v for k, v in ANALYZERS[name].items() if k not in ("min_df", "max_features")}
    if name == "word":
        settings["stop_words"] = stop_words()
    return CountVectorizer(dtype=np.float64, **settings)


class Counts:
    """Each analyzer's counts for a set of texts, looked up by text; texts not counted
    at the start are counted when asked for, over the same vocabulary."""

    def __init__(self, texts: list[str], analyzers: tuple[str, ...]) -> None:
        unique = list(dict.fromkeys(texts))
        self._row = {t: i for i, t in enumerate(unique)}
        self.counters = {name: counter(name) for name in analyzers}
        self.matrices = {name: c.fit_transform(unique).tocsr() for name, c in self.counters.items()}

    def rows(self, name: str, texts: list[str]) -> Any:
        if all(t in self._row for t in texts):
            return self.matrices[name][[self._row[t] for t in texts]]
        return self.counters[name].transform(texts).tocsr()

    def terms(self, name: str) -> np.ndarray:
        return self.counters[name].get_feature_names_out()  # type: ignore[no-any-return]


@dataclass
class Tfidf:
    """TF-IDF over the columns of a :class:`Counts` analyzer that a fit kept."""

    name: str
    columns: np.ndarray  # kept columns of the counts, in term order
    idf: np.ndarray

    @classmethod
    def fit(cls, name: str, counts: Any) -> Tfidf:
        settings = ANALYZERS[name]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= settings["min_df"])
        if settings["max_features"] and len(keep) > settings["max_features"]:
            total = np.asarray(counts.sum(axis=0)).ravel()[keep]
            top = np.argsort(-total, kind="stable")[: settings["max_features"]]
            keep = np.sort(keep[top])
        n = counts.shape[0]
        idf = np.log((1 + n) / (1 + df[keep])) + 1.0
        return cls(name, keep, idf)

    def transform(self, counts: Any) -> Any:
        from sklearn.preprocessing import normalize

        X = counts[:, self.columns].tocsr()
        X.data = (np.log(X.data) + 1.0) * self.idf[X.indices]
        return normalize(X, copy=False)

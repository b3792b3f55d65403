"""Text features: the shared word n-gram vectorizer.

One TF-IDF vectorizer (word unigrams and bigrams) feeds both labels, so a batch
of passages is tokenized once. Character n-grams were left out on purpose: they
multiply scoring time for little gain on this data (see the model card).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from labeler.tokens import ENGLISH_STOP_WORDS, TOKEN_PATTERN, compile_tokens

# Words that must stay features although sklearn's English list drops them: negations
# ("not violent"), threat cues ("I will", "they are going to", "you should"), and "fire",
# "down", "off". Chosen on the validation split.
KEPT_STOP_WORDS = frozenset(
    "against cannot never no nobody none nor not nothing without off down back behind fire "
    "found i you we they he she him her them us me my your our all will should must would "
    "be get going am are is can do these those to".split()
)


def stop_words() -> list[str]:
    """Function words without signal: otherwise news style itself (of, the, were) scores."""
    return sorted(ENGLISH_STOP_WORDS - KEPT_STOP_WORDS)


def make_vectorizer() -> Any:
    """The vectorizer every shipped model uses (unfitted)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        token_pattern=TOKEN_PATTERN,
        stop_words=stop_words(),
        ngram_range=(1, 2),
        min_df=2,
        max_features=60_000,
        sublinear_tf=True,
        dtype=np.float32,
    )


# Joins texts for one tokenizer call: a token no lower-cased text contains.
_SEPARATOR = " \u0130\u0130 "
# The same for ASCII texts split as bytes: no lower-cased text contains an upper-case letter.
_ASCII_SEPARATOR = " ZZ "
# An ASCII byte as the token pattern sees it: word bytes kept, every other byte a space.
_ASCII_WORDS = bytes(b if b < 128 and re.match(r"\w", chr(b)) else 32 for b in range(256))


# Vectorizer settings FastTfidf reproduces only at these values.
UNSUPPORTED_AS_ANY_BUT: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "norm": "l2",
    "use_idf": True,
    "binary": False,
    "strip_accents": None,
    "lowercase": True,
    "preprocessor": None,
    "tokenizer": None,
}


@dataclass(frozen=True)
class TfidfParams:
    """What a fitted vectorizer computes with: plain strings and arrays, no pickle."""

    terms: list[str]  # feature index -> unigram or "first second" bigram
    idf: np.ndarray
    stop_words: list[str]
    token_pattern: str = TOKEN_PATTERN
    lowercase: bool = True
    sublinear_tf: bool = True

    @classmethod
    def from_vectorizer(cls, vectorizer: Any) -> TfidfParams:
        """The parameters of a fitted ``TfidfVectorizer``; a ValueError naming the setting
        for one that ``FastTfidf`` cannot reproduce (it computes word 1-2-grams, l2-normed
        TF-IDF of lower-cased tokens of ``token_pattern``, nothing else)."""
        wrong = [
            f"{name}={getattr(vectorizer, name, None)!r} (supported: {ok!r})"
            for name, ok in UNSUPPORTED_AS_ANY_BUT.items()
            if getattr(vectorizer, name, ok) != ok
        ]
        if wrong:
            raise ValueError("FastTfidf cannot reproduce this vectorizer: " + "; ".join(wrong))
        terms = [str(t) for t in vectorizer.get_feature_names_out()]
        return cls(
            terms,
            np.asarray(vectorizer.idf_, dtype=np.float64),
            sorted(vectorizer.get_stop_words() or ()),
            vectorizer.token_pattern,
            bool(vectorizer.lowercase),
            bool(vectorizer.sublinear_tf),
        )


@dataclass(frozen=True)
class Rows:
    """TF-IDF rows in scipy's CSR layout (columns sorted within each row), without scipy:
    scoring needs only these products, and importing scipy.sparse costs 0.15 s a process."""

    indptr: np.ndarray  # row i's entries are [indptr[i], indptr[i + 1])
    indices: np.ndarray  # their feature (column) numbers
    data: np.ndarray  # their values
    shape: tuple[int, int]

    def row_of(self) -> np.ndarray:
        """The row of each entry."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights.T`` for (k, features) weights: an (n, k) array, each sum taken in
        column order as scipy's CSR product takes it."""
        row_of = self.row_of()
        sums = [np.bincount(row_of, self.data * w[self.indices], self.shape[0]) for w in weights]
        return np.column_stack(sums)

    def take(self, rows: np.ndarray) -> Rows:
        """The given rows, in that order."""
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        picked = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum()
        )
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        return Rows(indptr, self.indices[picked], self.data[picked], (len(rows), self.shape[1]))

    def toarray(self) -> np.ndarray:
        dense = np.zeros(self.shape)
        dense[self.row_of(), self.indices] = self.data
        return dense


def char_wb_rows(
    texts: list[str], vocabulary: dict[str, int], idf: np.ndarray, ngram_range: tuple[int, int]
) -> Rows:
    """char_wb n-gram TF-IDF rows (sublinear tf, l2-normalised), as scikit-learn's
    ``TfidfVectorizer(analyzer="char_wb")`` with this vocabulary and idf computes them
    (tested), without importing scikit-learn or SciPy on the scoring path."""
    lo, hi = ngram_range
    indptr, indices, data = [0], [], []
    for text in texts:
        grams: list[str] = []
        for word in text.lower().split():
            padded = f" {word} "
            for n in range(lo, hi + 1):
                if len(padded) <= n:  # a word shorter than n is counted once, whole
                    grams.append(padded)
                    break
                grams.extend([padded[i : i + n] for i in range(len(padded) - n + 1)])
        known = np.fromiter(map(vocabulary.get, grams, repeat(-1)), np.int64, len(grams))
        columns, counts = np.unique(known[known >= 0], return_counts=True)
        values = (1.0 + np.log(counts)) * idf[columns]
        norm = np.sqrt(np.dot(values, values))
        indices.append(columns)
        data.append(values / norm if norm else values)
        indptr.append(indptr[-1] + len(columns))
    return Rows(
        np.array(indptr, dtype=np.int64),
        np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
        np.concatenate(data) if data else np.zeros(0),
        (len(texts), len(idf)),
    )


class FastTfidf:
    """A fitted word 1-2-gram TF-IDF vectorizer's ``transform``, in bulk with numpy.

    sklearn builds n-grams token by token in Python; here each passage is
    tokenized once with the same tokens, which become integer ids in bulk, and
    unigram and bigram features are found with array operations. The result equals
    ``vectorizer.transform`` (property-tested), and scoring needs neither sklearn,
    scipy nor a pickled object.
    """

    _STOP, _UNKNOWN, _SEP = -2, -1, -3

    def __init__(self, params: TfidfParams) -> None:
        if not params.lowercase:
            raise ValueError("FastTfidf supports lower-casing vectorizers only")
        self._pattern = compile_tokens(params.token_pattern)
        self._sublinear = params.sublinear_tf
        self._idf = params.idf
        ids: dict[str, int] = {}
        for term in params.terms:
            for token in term.split(" "):
                ids.setdefault(token, len(ids))
        self._n_tokens = len(ids)
        unigram = np.full(len(ids), self._UNKNOWN, dtype=np.int64)
        pairs, pair_features = [], []
        for feature, term in enumerate(params.terms):
            parts = [ids[t] for t in term.split(" ")]
            if len(parts) == 1:
                unigram[parts[0]] = feature
            else:
                pairs.append(parts[0] * len(ids) + parts[1])
                pair_features.append(feature)
        order = np.argsort(pairs)
        self._unigram = unigram
        self._pairs = np.asarray(pairs, dtype=np.int64)[order]
        self._pair_features = np.asarray(pair_features, dtype=np.int64)[order]
        for word in params.stop_words:
            ids[word] = self._STOP
        ids[_SEPARATOR.strip()] = self._SEP
        self._ids = ids
        default = params.token_pattern == TOKEN_PATTERN
        self._byte_ids = _byte_ids(ids, self._STOP, self._SEP) if default else None

    def transform(self, texts: list[str]) -> Rows:
        ids, doc = self._token_ids(texts)
        kept = ids != self._STOP
        ids, doc = ids[kept], doc[kept]
        rows, cols = self._unigrams(ids, doc)
        brows, bcols = self._bigrams(ids, doc)
        n_features = len(self._idf)
        cells = np.concatenate([rows, brows]) * n_features + np.concatenate([cols, bcols])
        cells, counts = np.unique(cells, return_counts=True)  # sorted by row, then column
        row_of, indices = np.divmod(cells, n_features)
        data = counts.astype(np.float64)
        if self._sublinear:
            data = np.log(data) + 1.0
        data *= self._idf[indices]
        norms = np.sqrt(np.bincount(row_of, weights=data**2, minlength=len(texts)))
        norms[norms == 0] = 1.0
        data /= norms[row_of]
        indptr = np.searchsorted(row_of, np.arange(len(texts) + 1))
        return Rows(indptr, indices, data, (len(texts), n_features))

    def _token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of all texts, and the text each belongs to.

        Lower-cased texts are tokenized in bulk. ASCII ones (most) are split as bytes: the
        word features then take 11.9 us a passage, 15.7 with the regex for all, against the
        ~90 us of CPU a passage of a whole ``labeler score --fast`` process (2026-12-07, a
        shared machine: ``python benchmarks/bench_score.py --tokens-only`` and
        ``--fast-only``). The regex takes the rest; a vectorizer with a token pattern of its
        own is all regex.
        """
        lowered = [t.lower() for t in texts]
        if self._byte_ids is None:
            return self._regex_ids(lowered)
        ascii_rows: list[int] = []
        other_rows: list[int] = []
        for i, text in enumerate(lowered):
            (ascii_rows if text.isascii() else other_rows).append(i)
        ids, docs = [], []
        for rows, tokenize in ((ascii_rows, self._ascii_ids), (other_rows, self._regex_ids)):
            if rows:
                found, doc = tokenize([lowered[i] for i in rows])
                ids.append(found)
                docs.append(np.asarray(rows, dtype=np.int64)[doc])
        if not ids:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(ids), np.concatenate(docs)

    def _regex_ids(self, lowered: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids by the token pattern, in one call on the texts joined by a separator."""
        return self._lookup(self._pattern.findall(_SEPARATOR.join(lowered)), self._ids)

    def _ascii_ids(self, lowered: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of ASCII texts: runs of word bytes, as the default pattern finds them
        (single word bytes, which it skips, are ids of stop words and dropped alike)."""
        joined = _ASCII_SEPARATOR.join(lowered).encode("ascii")
        return self._lookup(joined.translate(_ASCII_WORDS).split(), self._byte_ids or {})

    def _lookup(self, tokens: list[Any], ids: dict[Any, int]) -> tuple[np.ndarray, np.ndarray]:
        """Ids of separated tokens, and the number of separators before each."""
        found = np.fromiter(map(ids.get, tokens, repeat(self._UNKNOWN)), np.int64, len(tokens))
        separators = found == self._SEP
        doc = np.cumsum(separators)
        return found[~separators], doc[~separators]

    def _unigrams(self, ids: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feature = np.where(ids >= 0, self._unigram[np.maximum(ids, 0)], -1)
        hit = feature >= 0
        return doc[hit], feature[hit]

    def _bigrams(self, ids: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(ids) < 2 or not len(self._pairs):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        first, second = ids[:-1], ids[1:]
        valid = (doc[:-1] == doc[1:]) & (first >= 0) & (second >= 0)
        codes = first[valid] * self._n_tokens + second[valid]
        pos = np.minimum(np.searchsorted(self._pairs, codes), len(self._pairs) - 1)
        hit = self._pairs[pos] == codes
        return doc[:-1][valid][hit], self._pair_features[pos[hit]]


def _byte_ids(ids: dict[str, int], stop: int, separator: int) -> dict[bytes, int]:
    """``ids`` of ASCII tokens keyed by their bytes, and each single word byte a stop word:
    the default pattern never makes it a token, so it is neither a feature nor a bigram's half."""
    out = {token.encode(): i for token, i in ids.items() if token.isascii()}
    for b in set(_ASCII_WORDS) - {32}:
        out[bytes([b])] = stop
    out[_ASCII_SEPARATOR.strip().encode()] = separator
    return out

"""Text features: the shared word n-gram vectorizer, and where its terms occur.

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
from scipy import sparse

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN = re.compile(TOKEN_PATTERN)
# The same tokens, found a third faster: a maximal run of two or more word characters is
# what \b\w\w+\b matches, and findall never starts inside a run it has passed.
_FAST_PATTERNS = {TOKEN_PATTERN: r"\w\w+"}

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
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS - KEPT_STOP_WORDS)


# Negation: a word within NEGATION_WINDOW words of a negation cue, either side, in the
# same clause (clauses end at , ; : . ! ?), becomes its own feature, NEGATED + word ("no
# one was injured" gives NOT_injured, not injured; "violence is never the answer" gives
# NOT_violence), so "injured" there is not evidence of an injury. The cue words of "n't"
# contractions are what the token pattern keeps of them (didn't -> didn). The window was
# chosen by reading the examples of issue 11 (which are also regression cases).
NEGATION_CUES = frozenset(
    "no not never nobody none nothing neither nor without cannot don didn doesn isn wasn "
    "weren aren couldn wouldn shouldn hasn haven hadn ain".split()
)
CLAUSE_END = ".,;:!?"
NEGATION_WINDOW = 3
NEGATED = "NOT_"  # upper case: no lower-cased text yields a token with it


class NegationAnalyzer:
    """The shipped vectorizer's analyzer: lower-cased word tokens (TOKEN_PATTERN), words
    of negated clauses prefixed with NEGATED, stop words dropped, then unigrams and
    bigrams. ``FastTfidf`` computes the same features in bulk.

    >>> NegationAnalyzer(["was", "one"])("No one was injured. He fled.")
    ['no', 'NOT_injured', 'he', 'fled', 'no NOT_injured', 'NOT_injured he', 'he fled']
    """

    def __init__(self, stop: list[str]) -> None:
        self.stop = frozenset(stop)
        self._pattern = re.compile(f"{TOKEN_PATTERN}|[{re.escape(CLAUSE_END)}]")

    def __call__(self, text: str) -> list[str]:
        words: list[str] = []
        clause: list[str] = []
        for token in [*self._pattern.findall(text.lower()), "."]:
            if token not in CLAUSE_END:
                clause.append(token)
                continue
            cues = [i for i, w in enumerate(clause) if w in NEGATION_CUES]
            for i, w in enumerate(clause):
                if w in self.stop:
                    continue
                near = w not in NEGATION_CUES and any(abs(i - c) <= NEGATION_WINDOW for c in cues)
                words.append(NEGATED + w if near else w)
            clause = []
        return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def make_vectorizer(negation: bool = True) -> Any:
    """The vectorizer every shipped model uses (unfitted); ``negation=False`` gives the
    plain word 1-2-gram TF-IDF of earlier models (for comparison)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    common: dict[str, Any] = {
        "min_df": 2,
        "max_features": 60_000,
        "sublinear_tf": True,
        "dtype": np.float32,
    }
    if negation:
        return TfidfVectorizer(analyzer=NegationAnalyzer(stop_words()), **common)
    return TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, stop_words=stop_words(), ngram_range=(1, 2), **common
    )


# Joins texts for one tokenizer call: a token no lower-cased text contains.
_SEPARATOR = " \u0130\u0130 "


def term_spans(
    text: str, terms: set[str], stop: frozenset[str] = frozenset()
) -> dict[str, list[tuple[int, int]]]:
    """Character spans in ``text`` of each unigram or bigram in ``terms``.

    Spans index ``text`` itself (never a lower-cased copy of different length).
    As in the vectorizer, stop words are dropped before bigrams are formed, so a
    bigram's span covers any stop words between its two tokens.

    >>> term_spans("Kill the process, not the man.", {"kill process", "man"}, frozenset({"the"}))
    {'kill process': [(0, 16)], 'man': [(26, 29)]}
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few scripts change length when lower-cased
        return _spans_by_tokens(text, terms, stop)
    spans: dict[str, list[tuple[int, int]]] = {}
    for term in terms:
        first, _, second = term.partition(" ")
        if first in stop or second in stop or len(first) < 2 or 0 < len(second) < 2:
            continue  # never a feature: stop words and single characters are not tokens
        for start in _word_starts(lowered, first):
            end = start + len(first)
            if second:
                following = _next_token(lowered, end, stop)
                if following is None or following[2] != second:
                    continue
                end = following[1]
            spans.setdefault(term, []).append((start, end))
    return dict(sorted(spans.items(), key=lambda item: item[1][0]))


def _word_starts(text: str, word: str) -> list[int]:
    """Where ``word`` occurs in ``text`` as a whole token (not inside a longer word).

    ``str.find`` plus a look at the neighbouring characters: several times
    faster than a regex with word boundaries. A word character is what ``\\w``
    matches: alphanumeric or underscore.
    """
    starts, size, length = [], len(word), len(text)
    start = text.find(word)
    while start >= 0:
        end = start + size
        before = text[start - 1] if start else " "
        after = text[end] if end < length else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            starts.append(start)
        start = text.find(word, start + 1)
    return starts


def _next_token(text: str, pos: int, stop: frozenset[str]) -> tuple[int, int, str] | None:
    for match in _TOKEN.finditer(text, pos):
        if match.group() not in stop:
            return match.start(), match.end(), match.group()
    return None


def _spans_by_tokens(
    text: str, terms: set[str], stop: frozenset[str]
) -> dict[str, list[tuple[int, int]]]:
    """term_spans the slow, general way: every token of the original text, in turn."""
    tokens = [
        (m.start(), m.end(), m.group().lower())
        for m in _TOKEN.finditer(text)
        if m.group().lower() not in stop
    ]
    spans: dict[str, list[tuple[int, int]]] = {}
    for i, (start, end, token) in enumerate(tokens):
        if token in terms:
            spans.setdefault(token, []).append((start, end))
        bigram = f"{token} {tokens[i + 1][2]}" if i + 1 < len(tokens) else ""
        if bigram in terms:
            spans.setdefault(bigram, []).append((start, tokens[i + 1][1]))
    return dict(sorted(spans.items(), key=lambda item: item[1][0]))


@dataclass(frozen=True)
class TfidfParams:
    """What a fitted vectorizer computes with: plain strings and arrays, no pickle."""

    terms: list[str]  # feature index -> unigram or "first second" bigram
    idf: np.ndarray
    stop_words: list[str]
    token_pattern: str = TOKEN_PATTERN
    lowercase: bool = True
    sublinear_tf: bool = True
    negation: bool = False  # words of negated clauses are NEGATED + word (NegationAnalyzer)

    @classmethod
    def from_vectorizer(cls, vectorizer: Any) -> TfidfParams:
        terms = [str(t) for t in vectorizer.get_feature_names_out()]
        analyzer = vectorizer.analyzer
        negation = isinstance(analyzer, NegationAnalyzer)
        stop = analyzer.stop if negation else vectorizer.get_stop_words() or ()
        return cls(
            terms,
            np.asarray(vectorizer.idf_, dtype=np.float64),
            sorted(stop),
            TOKEN_PATTERN if negation else vectorizer.token_pattern,
            True if negation else bool(vectorizer.lowercase),
            bool(vectorizer.sublinear_tf),
            negation,
        )


@dataclass
class Tokens:
    """One tokenization of a batch: every word token's id in the vocabulary, and the
    passage it belongs to. Ids below ``FastTfidf.n_terms_tokens`` are the vectorizer's
    tokens, then its stop words, then any other known words (an embedding model's word
    table); -1 is a word the vocabulary does not hold."""

    ids: np.ndarray
    doc: np.ndarray
    words: list[str]  # the token strings (lower-cased) of the joined batch, separators too
    at: np.ndarray  # where each token of ``ids`` is in ``words``
    n: int  # passages in the batch
    negated: np.ndarray | None = None  # per token: in a negated clause (not a cue itself)

    def word(self, i: int) -> str:
        return self.words[int(self.at[i])]


class FastTfidf:
    """A fitted word 1-2-gram TF-IDF vectorizer's ``transform``, in bulk with numpy.

    sklearn builds n-grams token by token in Python; here each passage is
    tokenized once with the same pattern, tokens become integer ids through one
    dict lookup, and unigram and bigram features are found with array
    operations. The result equals ``vectorizer.transform`` (property-tested), and
    scoring needs neither sklearn nor a pickled object. The same token ids feed the
    embedding part of a model that has one (``extra_words`` extends the vocabulary).
    """

    _UNKNOWN, _SEP, _CLAUSE = -1, -3, -4

    def __init__(self, params: TfidfParams, extra_words: list[str] | None = None) -> None:
        if not params.lowercase:
            raise ValueError("FastTfidf supports lower-casing vectorizers only")
        self._negation = params.negation
        pattern = _FAST_PATTERNS.get(params.token_pattern, params.token_pattern)
        if params.negation:
            pattern = f"{pattern}|[{re.escape(CLAUSE_END)}]"
        self._pattern = re.compile(pattern)
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
            ids.setdefault(word, len(ids))
        self._stop_end = len(ids)  # ids in [n_tokens, stop_end) are stop words
        extra = list(extra_words or ())
        if params.negation:  # cues and the plain word of each negated token get ids
            tokens = list(ids)[: self._n_tokens]
            extra += sorted(NEGATION_CUES)
            extra += [t[len(NEGATED) :] for t in tokens if t.startswith(NEGATED)]
        for word in extra:
            ids.setdefault(word, len(ids))
        self.base_size = len(ids)
        # a word's negated feature token, by id (last entry: any id outside the base)
        self._negated_of = np.full(self.base_size + 1, self._UNKNOWN, dtype=np.int64)
        self._is_cue = np.zeros(self.base_size + 1, dtype=bool)
        if params.negation:
            for token, i in list(ids.items())[: self._n_tokens]:
                if token.startswith(NEGATED):
                    self._negated_of[ids[token[len(NEGATED) :]]] = i
            for cue in NEGATION_CUES:
                self._is_cue[ids[cue]] = True
            for mark in CLAUSE_END:
                ids[mark] = self._CLAUSE
        ids[_SEPARATOR.strip()] = self._SEP
        self._ids = ids

    @property
    def vocabulary(self) -> dict[str, int]:
        """Word -> id (the separator token aside); grows when a caller adds words."""
        return self._ids

    def words(self) -> list[str]:
        """The base vocabulary's words in id order."""
        out = [""] * self.base_size
        for word, i in self._ids.items():
            if 0 <= i < self.base_size:
                out[i] = word
        return out

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        return self.transform_tokens(self.tokenize(texts))

    def _base(self, ids: np.ndarray) -> np.ndarray:
        """ids, with any outside the base vocabulary (unknown, added at run time) as the
        sentinel index of the per-id arrays."""
        return np.where((ids >= 0) & (ids < self.base_size), ids, self.base_size)

    def transform_tokens(self, tokens: Tokens) -> sparse.csr_matrix:
        ids, doc = tokens.ids, tokens.doc
        kept = (ids < self._n_tokens) | (ids >= self._stop_end)
        ids, doc = ids[kept], doc[kept]
        if tokens.negated is not None:
            negated = tokens.negated[kept]
            ids = np.where(negated, self._negated_of[self._base(ids)], ids)
        ids = np.where(ids < self._n_tokens, ids, self._UNKNOWN)
        rows, cols = self._unigrams(ids, doc)
        brows, bcols = self._bigrams(ids, doc)
        X = sparse.csr_matrix(
            (
                np.ones(len(rows) + len(brows)),
                (np.concatenate([rows, brows]), np.concatenate([cols, bcols])),
            ),
            shape=(tokens.n, len(self._idf)),
        )
        X.sum_duplicates()
        if self._sublinear:
            X.data = np.log(X.data) + 1.0
        X.data *= self._idf[X.indices]
        row_of = np.repeat(np.arange(tokens.n), np.diff(X.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=X.data**2, minlength=tokens.n))
        norms[norms == 0] = 1.0
        X.data /= norms[row_of]
        return X

    def tokenize(self, texts: list[str]) -> Tokens:
        """Token ids of all texts, and the text each belongs to.

        Lower-cased texts are joined with a separator token that no lower-cased
        text can contain (upper-case dotted I), and tokenized in one call.
        """
        flat = self._pattern.findall(_SEPARATOR.join([t.lower() for t in texts]))
        ids = np.fromiter(map(self._ids.get, flat, repeat(self._UNKNOWN)), np.int64, len(flat))
        separators = ids == self._SEP
        doc = np.cumsum(separators)
        if not self._negation:
            at = np.flatnonzero(~separators)
            return Tokens(ids[at], doc[at], flat, at, len(texts))
        boundary = separators | (ids == self._CLAUSE)
        clause = np.cumsum(boundary)
        at = np.flatnonzero(~boundary)
        ids, doc, clause = ids[at], doc[at], clause[at]
        return Tokens(ids, doc, flat, at, len(texts), self._negated(ids, clause))

    def cues(self, tokens: Tokens) -> np.ndarray:
        """Per token: is it a negation cue word?"""
        if not self._negation:
            return np.isin(tokens.ids, [self._ids[c] for c in NEGATION_CUES if c in self._ids])
        out: np.ndarray = self._is_cue[self._base(tokens.ids)]
        return out

    def _negated(self, ids: np.ndarray, clause: np.ndarray) -> np.ndarray:
        """Per word: within NEGATION_WINDOW words of a cue in its clause (not a cue)."""
        cue = self._is_cue[self._base(ids)]
        if not cue.any():
            return cue
        pos = np.arange(len(ids))
        last = np.maximum.accumulate(np.where(cue, pos, -1))
        after = np.minimum.accumulate(np.where(cue, pos, len(ids))[::-1])[::-1]
        last_ok = (last >= 0) & (clause[np.maximum(last, 0)] == clause)
        after_ok = (after < len(ids)) & (clause[np.minimum(after, len(ids) - 1)] == clause)
        near = (last_ok & (pos - last <= NEGATION_WINDOW)) | (
            after_ok & (after - pos <= NEGATION_WINDOW)
        )
        out: np.ndarray = near & ~cue
        return out

    def bigram_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every bigram feature, with its first and second token ids."""
        first, second = np.divmod(self._pairs, self._n_tokens)
        return self._pair_features, first, second

    def feature_tokens(self) -> np.ndarray:
        """Per feature: its token id for a unigram, -1 for a bigram."""
        out = np.full(len(self._idf), -1, dtype=np.int64)
        have = np.flatnonzero(self._unigram >= 0)
        out[self._unigram[have]] = have
        return out

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

"""Text features: the shared word n-gram vectorizer, and where its terms occur.

One TF-IDF vectorizer (word unigrams and bigrams) feeds both labels, so a batch
of passages is tokenized once. Character n-grams were left out on purpose: they
multiply scoring time for little gain on this data (see the model card).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN = re.compile(TOKEN_PATTERN)

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


def term_spans(
    text: str, terms: set[str], stop: frozenset[str] = frozenset()
) -> dict[str, list[tuple[int, int]]]:
    """Character spans in ``text`` of each unigram or bigram in ``terms``.

    Tokens are found on the original text (not a lower-cased copy), so spans
    index ``text`` exactly. As in the vectorizer, stop words are dropped before
    bigrams are formed, so a bigram's span covers any stop words between its two.

    >>> term_spans("Kill the process, not the man.", {"kill process", "man"}, frozenset({"the"}))
    {'kill process': [(0, 16)], 'man': [(26, 29)]}
    """
    tokens = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(text)]
    tokens = [t for t in tokens if t[2] not in stop]
    spans: dict[str, list[tuple[int, int]]] = {}
    for i, (start, end, token) in enumerate(tokens):
        if token in terms:
            spans.setdefault(token, []).append((start, end))
        if i + 1 < len(tokens):
            bigram = f"{token} {tokens[i + 1][2]}"
            if bigram in terms:
                spans.setdefault(bigram, []).append((start, tokens[i + 1][1]))
    return dict(sorted(spans.items(), key=lambda item: item[1][0]))

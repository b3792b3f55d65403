"""Learn the evidence lexicon (``labeler.evidence``) from the training rows.

Candidates are every lexicon-shaped phrase of one to three words in at least MIN_DF
training passages, none of whose words is a name: a word that properly cased training
text writes capitalised mid-sentence at least as often as in lower case, or never writes
at all (a place known only from lower-cased reports). Two views weigh each for a label:

- the training data's: a class-balanced logistic regression on which candidates a
  passage contains, beside one indicator per source, which takes up each source's share
  of violent passages (so "godhra" is not credited for the police reports it comes from);
- with a sentence model, the encoder's: the embedding block's log-odds for the phrase
  read alone, which knows "mutilation" though no violent training passage says it, and
  does not lean on "soldiers" as the training data do.

A phrase is a seed (evidence on its own) for a label when the data's weight reaches
MIN_WEIGHT and the encoder's MIN_SENTENCE, or the encoder's alone reaches STRONG_SENTENCE
with a data weight that is not negative; it supports a seed beside it ("buried" beside
"alive") when the data's weight reaches SUPPORT_WEIGHT and the encoder's is not negative.
Its weight is the mean of the two views (the data's alone, without a sentence model).
The cuts were chosen on the span-annotated set (README "Evidence").
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from labeler.evidence import Lexicon, phrases_of, words_of
from labeler.labels import LABELS
from labeler.learn.dataset import Row
from labeler.tokens import TOKEN

MIN_DF = 3
MIN_WEIGHT = 1.4
MIN_SENTENCE = 1.0
STRONG_SENTENCE = 5.0
SUPPORT_WEIGHT = 0.5
C = 1.0
# A sentence as written, for telling names from common words: up to the next mark or line.
_SENTENCE = re.compile(r"[^.!?\n]+")
_OPENING = " \"'\u201c\u201d\u2018\u2019([-\u2014*"


def common_words(texts: list[str]) -> set[str]:
    """Words written in lower case mid-sentence more often than capitalised, counted in
    sentences that open with an ASCII capital (so properly cased text, not a lower-cased
    report nor one whose first letter is mojibake).

    >>> sorted(common_words(["Then Iraq said they were shot.", "They shot at Iraq."]))
    ['at', 'said', 'shot', 'they', 'were']
    """
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for text in texts:
        for match in _SENTENCE.finditer(text):
            sentence = match.group().strip(_OPENING)
            if not sentence or not "A" <= sentence[0] <= "Z" or sentence.isupper():
                continue
            for word in TOKEN.findall(sentence)[1:]:
                if word.islower():
                    lower[word] += 1
                elif word[0].isupper() and not word.isupper():
                    capital[word.lower()] += 1
    return {w for w, n in lower.items() if n > capital[w]}


def learn_lexicon(rows: list[Row], weights: np.ndarray, sentence: Any = None) -> Lexicon:
    """The lexicon of the training ``rows`` (weighted ``weights``, as the model is), the
    encoder's view from ``sentence`` (a ``SentenceHead``) when it has the embedding."""
    phrases, coef = data_weights(rows, weights)
    if sentence is None or "embedding" not in sentence.features:
        return _kept(phrases, coef, coef >= MIN_WEIGHT, coef >= SUPPORT_WEIGHT)
    candidates = np.flatnonzero(coef.max(axis=0) >= 0)
    phrases, coef = [phrases[i] for i in candidates], coef[:, candidates]
    encoder = sentence.embedding_logits(phrases).T if phrases else np.zeros_like(coef)
    seeds = ((coef >= MIN_WEIGHT) & (encoder >= MIN_SENTENCE)) | (
        (coef >= 0) & (encoder >= STRONG_SENTENCE)
    )
    support = (coef >= SUPPORT_WEIGHT) & (encoder >= 0)
    return _kept(phrases, (coef + encoder) / 2, seeds, support)


def data_weights(rows: list[Row], weights: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The candidate phrases, and per label their coefficients in a class-balanced logistic
    regression beside source indicators: (len(LABELS), phrases)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    common = common_words([r.text for r in rows])

    def analyzer(text: str) -> list[str]:
        found = phrases_of([w for _, _, w in words_of(text)])
        return [p for p in found if all(w in common or w.isdigit() for w in p.split(" "))]

    counter = CountVectorizer(analyzer=analyzer, min_df=MIN_DF, binary=True, dtype=np.float64)
    X = counter.fit_transform([r.text for r in rows]).tocsr()
    phrases = [str(p) for p in counter.get_feature_names_out()]
    sources = sorted({r.source for r in rows})
    S = sparse.csr_matrix(
        (np.ones(len(rows)), (np.arange(len(rows)), [sources.index(r.source) for r in rows])),
        shape=(len(rows), len(sources)),
    )
    Xs = sparse.hstack([X, S], format="csr")
    coef = np.zeros((len(LABELS), len(phrases)))
    for j, label in enumerate(LABELS):
        idx = [i for i, r in enumerate(rows) if r.labels[label] is not None]
        y = np.array([rows[i].labels[label] for i in idx], dtype=int)
        fit = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, tol=1e-3)
        fit.fit(Xs[idx], y, sample_weight=weights[idx])
        coef[j] = fit.coef_[0][: len(phrases)]
    return phrases, coef


def _kept(
    phrases: list[str], weights: np.ndarray, seeds: np.ndarray, support: np.ndarray
) -> Lexicon:
    """The phrases that are seeds or support for some label, weighted for those."""
    weights = np.where(seeds | support, weights, 0.0)
    keep = np.flatnonzero(weights.max(axis=0) > 0)
    return Lexicon([phrases[i] for i in keep], weights[:, keep], seeds[:, keep])

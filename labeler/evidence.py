"""Evidence a reader would point at: the phrases of a passage that carry a label.

Evidence comes from a small **phrase lexicon** kept beside the model (``evidence.npz``):
content phrases of one to three words ("stabbed to death", "burnt alive", "gouged out")
with, per label, how strongly the training data tie each to the label (a log-odds
weight; 0: not evidence for it). ``labeler.learn.lexicon`` learns it; a model directory
without one falls back to its word model's own terms (:meth:`Lexicon.from_terms`).

In a passage, lexicon phrases are matched longest first, left to right, over its words;
matches one or two function words or numbers apart, with no punctuation between them,
merge into one span ("killed and wounded", "cut off his hands"). A span always starts and
ends on a content word, so no span is made of function words, and no number stands alone.

Why a lexicon, not the model's own weights or occlusion: measured on the span-annotated
set (``training/evidence_eval.py``; README "Evidence"), the sentence model's word and
character weights point at what readers mark far less often, since the embedding carries
most of its score; occlusion (rescoring each candidate phrase removed) did no better than
the lexicon at many times the cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from labeler.labels import LABELS
from labeler.tokens import ENGLISH_STOP_WORDS, TOKEN

EVIDENCE_FILE = "evidence.npz"
MAX_WORDS = 3  # words of a lexicon phrase
BRIDGE = 2  # function words or numbers a span may bridge between two matches
MAX_SPANS = 12  # per label and passage, the strongest kept

# Words that say who, where or when, not what was done: a reader points at "opened fire",
# not at "soldiers" or "village". A phrase made of them (and function words) alone is not
# evidence; inside a phrase they may be ("soldiers opened fire").
CONTEXT_WORDS = frozenset(
    """police policeman policemen constable constables officer officers cop cops soldier
    soldiers troops trooper army armies forces military militia militias militant militants
    rebel rebels insurgent insurgents fighters guard guards sentry sentries man men woman
    women people persons person child children boy boys girl girls family families
    villagers residents citizens civilians crowd crowds government authorities official
    officials village villages city cities town towns street streets house houses home homes
    area areas district region country state night morning evening yesterday today day days
    week weeks year years monday tuesday wednesday thursday friday saturday sunday""".split()
)
# Function words a phrase may end on: the particle of a phrasal verb ("gouged out").
PARTICLES = frozenset({"out", "off", "up", "down"})
# Punctuation between two matches keeps them apart ("shot, police said"); hyphens and
# apostrophes sit inside phrases ("hand-to-hand", "o'clock").
_APART = re.compile(r"[^\w\s\-'\u2019]")


class Phrase(NamedTuple):
    """One evidence span: ``text[start:end]`` of the passage, and its weight for the label
    (the summed lexicon weights of the phrases matched in it)."""

    start: int
    end: int
    text: str
    weight: float


def is_function_word(word: str) -> bool:
    """A function word (sklearn's English stop words) or a number: never evidence alone."""
    return word in ENGLISH_STOP_WORDS or word.isdigit()


def is_phrase(words: list[str]) -> bool:
    """Whether lower-cased ``words`` may be a lexicon phrase: content words at both ends
    (or a phrasal verb's particle at the end), and at least one that says what happened
    rather than who, where or when.

    >>> is_phrase(["stabbed", "to", "death"]), is_phrase(["to", "death"])
    (True, False)
    >>> is_phrase(["gouged", "out"]), is_phrase(["out"])
    (True, False)
    >>> is_phrase(["soldiers"]), is_phrase(["soldiers", "opened", "fire"])
    (False, True)
    """
    if not words or is_function_word(words[0]):
        return False
    last = words[-1]
    if is_function_word(last) and not (len(words) > 1 and last in PARTICLES):
        return False
    return any(not is_function_word(w) and w not in CONTEXT_WORDS for w in words)


def phrases_of(words: list[str], max_words: int = MAX_WORDS) -> set[str]:
    """Every lexicon-shaped phrase of a word sequence.

    >>> sorted(phrases_of(["he", "was", "buried", "alive"]))
    ['alive', 'buried', 'buried alive']
    """
    out = set()
    for i in range(len(words)):
        for n in range(1, max_words + 1):
            if i + n <= len(words) and is_phrase(words[i : i + n]):
                out.add(" ".join(words[i : i + n]))
    return out


def words_of(text: str) -> list[tuple[int, int, str]]:
    """The passage's words (the vectorizer's tokens), with their spans, lower-cased."""
    return [(m.start(), m.end(), m.group().lower()) for m in TOKEN.finditer(text)]


@dataclass
class Lexicon:
    """Phrases and their per-label weights: ``weights[j, i]`` ties ``phrases[i]`` to
    ``LABELS[j]`` (positive only; 0 where a phrase is not evidence for the label)."""

    phrases: list[str]
    weights: np.ndarray  # (len(LABELS), len(phrases))
    _index: dict[str, int] = field(init=False, repr=False)
    _longest: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {p: i for i, p in enumerate(self.phrases)}
        self._longest = max((p.count(" ") + 1 for p in self.phrases), default=1)

    @classmethod
    def from_terms(cls, terms: list[str], coef: np.ndarray) -> Lexicon:
        """A model's own word terms with positive weight, as a lexicon: the evidence of a
        model directory that has none (trained before there was one)."""
        keep = [i for i, t in enumerate(terms) if is_phrase(t.split(" ")) and coef[:, i].max() > 0]
        return cls([terms[i] for i in keep], np.maximum(coef[:, keep], 0.0))

    def spans(self, text: str, label: str) -> list[Phrase]:
        """The evidence spans for ``label`` in ``text``, in reading order: matches merged,
        at most MAX_SPANS (the heaviest)."""
        row = self.weights[LABELS.index(label)]
        words = words_of(text)
        tokens = [w for _, _, w in words]
        spans: list[list[float]] = []  # [first word, last word + 1, weight]
        i = 0
        while i < len(tokens):
            n, weight = self._match(tokens, i, row)
            if n == 0:
                i += 1
                continue
            if spans and self._joins(text, words, int(spans[-1][1]), i):
                spans[-1][1], spans[-1][2] = i + n, spans[-1][2] + weight
            else:
                spans.append([i, i + n, weight])
            i += n
        if len(spans) > MAX_SPANS:
            spans = sorted(sorted(spans, key=lambda s: -s[2])[:MAX_SPANS])
        return [
            Phrase(words[a][0], words[b - 1][1], text[words[a][0] : words[b - 1][1]], w)
            for a, b, w in ((int(s[0]), int(s[1]), s[2]) for s in spans)
        ]

    def _match(self, tokens: list[str], i: int, row: np.ndarray) -> tuple[int, float]:
        """The longest lexicon phrase with weight for the label starting at word ``i``."""
        for n in range(min(self._longest, len(tokens) - i), 0, -1):
            found = self._index.get(" ".join(tokens[i : i + n]))
            if found is not None and row[found] > 0:
                return n, float(row[found])
        return 0, 0.0

    @staticmethod
    def _joins(text: str, words: list[tuple[int, int, str]], end: int, start: int) -> bool:
        """Whether a match at word ``start`` continues the span ending before word ``end``:
        at most BRIDGE function words or numbers between, and no punctuation."""
        between = [w for _, _, w in words[end:start]]
        if len(between) > BRIDGE or not all(is_function_word(w) for w in between):
            return False
        return not _APART.search(text[words[end - 1][1] : words[start][0]])

    def arrays(self) -> dict[str, np.ndarray]:
        return {"phrases": np.array(self.phrases, dtype=str), "weights": self.weights}

    @classmethod
    def from_arrays(cls, parts: dict[str, np.ndarray]) -> Lexicon:
        """Checked: a list of phrases and a finite, non-negative (labels, phrases) array;
        a ValueError saying what is wrong otherwise."""
        phrases, weights = parts["phrases"], parts["weights"]
        if phrases.ndim != 1 or (len(phrases) and phrases.dtype.kind != "U"):
            raise ValueError("phrases must be a list of strings")
        expected = (len(LABELS), len(phrases))
        if weights.shape != expected or weights.dtype.kind != "f":
            raise ValueError(f"weights has shape {weights.shape}, expected {expected}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("weights are not all finite numbers >= 0")
        return cls([str(p) for p in phrases], weights)

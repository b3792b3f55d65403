"""Evidence a reader would point at: the phrases of a passage that carry a label.

Evidence comes from a small **phrase lexicon** kept beside the model (``evidence.npz``):
content phrases of one to three words ("stabbed to death", "burnt alive", "gouged out")
with, per label, how strongly the training data tie each to the label (a log-odds
weight; 0: not evidence for it). ``labeler.learn.lexicon`` learns it; a model directory
without one falls back to its word model's own terms (:meth:`Lexicon.from_terms`).

In a passage, lexicon phrases are matched longest first, left to right, over its words;
matches one or two function words or numbers apart, with no punctuation between them,
merge into one span ("killed and wounded", "cut off his hands"). A phrase is a *seed*
(evidence on its own) or only *supports* a seed beside it ("buried" + "alive": "buried
alive"); a span needs a seed. A span always starts and ends on a content word, so no span
is made of function words, and no number stands alone.

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
OWN_TERMS = 0.01  # of a word model's positive terms, the heaviest taken for evidence

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
    >>> is_phrase(["soldiers"]), is_phrase(["soldiers", "shot"])
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


class Words:
    """A passage's words lower-cased (all that finding matches needs) and, found once and
    only when asked (where something matched), their spans in the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        # an ASCII text is lower-cased whole, at C speed; elsewhere lower-casing may change
        # a text's length, so each word is lower-cased alone
        ascii_only = text.isascii()
        self.tokens: list[str] = (
            TOKEN.findall(text.lower()) if ascii_only else [w for _, _, w in words_of(text)]
        )
        self._spans: list[tuple[int, int]] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        if self._spans is None:
            self._spans = [m.span() for m in TOKEN.finditer(self.text)]
        return self._spans


@dataclass
class Lexicon:
    """Phrases and their per-label weights: ``weights[j, i]`` ties ``phrases[i]`` to
    ``LABELS[j]`` (positive; 0 where a phrase says nothing of the label). A phrase that is
    a ``seeds[j, i]`` is evidence on its own; one that is not only supports evidence next
    to it ("buried" beside "alive": "buried alive")."""

    phrases: list[str]
    weights: np.ndarray  # (len(LABELS), len(phrases)), float
    seeds: np.ndarray  # (len(LABELS), len(phrases)), bool
    # per label, the phrases weighing for it: phrase -> (weight, seed), and the words
    # such phrases start with (most words start none, and are passed over at one lookup)
    _weighing: list[dict[str, tuple[float, bool]]] = field(init=False, repr=False)
    _starts: list[frozenset[str]] = field(init=False, repr=False)
    _longest: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._weighing = [
            {
                p: (float(self.weights[j, i]), bool(self.seeds[j, i]))
                for i, p in enumerate(self.phrases)
                if self.weights[j, i] > 0
            }
            for j in range(len(LABELS))
        ]
        self._starts = [frozenset(p.split(" ", 1)[0] for p in w) for w in self._weighing]
        self._longest = max((p.count(" ") + 1 for p in self.phrases), default=1)

    @classmethod
    def from_terms(cls, terms: list[str], coef: np.ndarray) -> Lexicon:
        """A word model's heaviest terms, as a lexicon: the evidence of a model directory
        that has none (trained before there was one). Per label, the content phrases among
        the OWN_TERMS share of terms with the most positive weight."""
        weights = np.zeros_like(coef, dtype=np.float64)
        for j, row in enumerate(coef):
            positive = row[row > 0]
            if len(positive):
                cut = np.quantile(positive, 1 - OWN_TERMS)
                weights[j] = np.where(row >= cut, row, 0.0)
        keep = [
            i for i, t in enumerate(terms) if weights[:, i].max() > 0 and is_phrase(t.split(" "))
        ]
        return cls([terms[i] for i in keep], weights[:, keep], weights[:, keep] > 0)

    def spans(self, text: str, label: str, words: Words | None = None) -> list[Phrase]:
        """The evidence spans for ``label`` in ``text``, in reading order, at most MAX_SPANS
        (the heaviest): runs of matches, each run holding at least one seed. ``words``:
        the text's :class:`Words`, when the caller has them (one pass for all labels)."""
        words = Words(text) if words is None else words
        found = self._matches(words.tokens, LABELS.index(label))
        runs: list[tuple[int, int, float, bool]] = []  # (first word, end word, weight, seed)
        last_seed = False
        for i, n, weight, seed in found:
            bridge = BRIDGE if seed and last_seed else 0  # support joins only what it touches
            if runs and self._joins(words, runs[-1][1], i, bridge):
                first, _, total, seeded = runs[-1]
                runs[-1] = (first, i + n, total + weight, seeded or seed)
            else:
                runs.append((i, i + n, weight, seed))
            last_seed = seed
        kept = [(a, b, weight) for a, b, weight, seed in runs if seed]
        if len(kept) > MAX_SPANS:
            kept = sorted(sorted(kept, key=lambda r: -r[2])[:MAX_SPANS])
        if not kept:
            return []  # no spans to find
        at = words.spans
        return [
            Phrase(at[a][0], at[b - 1][1], text[at[a][0] : at[b - 1][1]], w) for a, b, w in kept
        ]

    def _matches(self, tokens: list[str], j: int) -> list[tuple[int, int, float, bool]]:
        """Lexicon phrases weighing for label ``j``, longest first, left to right: (first
        word, words, weight, seed)."""
        weighing, starts = self._weighing[j], self._starts[j]
        found: list[tuple[int, int, float, bool]] = []
        after = 0  # the first word not inside the last match
        for i in [k for k, token in enumerate(tokens) if token in starts]:
            if i < after:
                continue
            for n in range(min(self._longest, len(tokens) - i), 0, -1):
                hit = weighing.get(" ".join(tokens[i : i + n]))
                if hit is not None:
                    found.append((i, n, *hit))
                    after = i + n
                    break
        return found

    @staticmethod
    def _joins(words: Words, end: int, start: int, bridge: int) -> bool:
        """Whether a match at word ``start`` continues the run ending before word ``end``:
        at most ``bridge`` function words or numbers between, and no punctuation."""
        between = words.tokens[end:start]
        if len(between) > bridge or not all(is_function_word(w) for w in between):
            return False
        return not _APART.search(words.text[words.spans[end - 1][1] : words.spans[start][0]])

    def arrays(self) -> dict[str, np.ndarray]:
        phrases = np.array(self.phrases, dtype=str)
        return {"phrases": phrases, "weights": self.weights, "seeds": self.seeds}

    @classmethod
    def from_arrays(cls, parts: dict[str, np.ndarray]) -> Lexicon:
        """Checked: a list of phrases, a finite, non-negative (labels, phrases) array of
        weights and a boolean one of seeds; a ValueError saying what is wrong otherwise."""
        phrases, weights, seeds = parts["phrases"], parts["weights"], parts["seeds"]
        if phrases.ndim != 1 or (len(phrases) and phrases.dtype.kind != "U"):
            raise ValueError("phrases must be a list of strings")
        expected = (len(LABELS), len(phrases))
        for name, array, kind in (("weights", weights, "f"), ("seeds", seeds, "b")):
            if array.shape != expected or array.dtype.kind != kind:
                raise ValueError(f"{name} has shape {array.shape}, expected {expected}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("weights are not all finite numbers >= 0")
        return cls([str(p) for p in phrases], weights, seeds)

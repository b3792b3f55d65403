"""What a reviewer's decision means, and what a passage's label is now.

Pure functions, no storage and no Streamlit: the store persists decisions, the
dashboard shows them, and both ask this module what they mean.

Reviews are append-only events. A decision is ``confirm`` (the model's flags
are right), ``correct`` (with the reviewer's labels), ``skip`` (no label), or
``undo`` (cancels the same reviewer's latest decision still standing). A
passage's current label is its most recent standing ``confirm``/``correct``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DECISIONS = ("confirm", "correct", "skip", "undo")

# Where a passage stands in the review queue (the store keeps it in ``scores.queue_state``):
# waiting to be served, labelled, skipped by everyone who saw it, or scraped junk never served.
LABELLED, WAITING, SKIPPED, JUNK = 0, 1, 2, 3


@dataclass(frozen=True)
class Labels:
    violence: int
    graphic: int
    severity: int

    def __post_init__(self) -> None:
        if self.violence not in (0, 1) or self.graphic not in (0, 1):
            raise ValueError("violence and graphic are 0 or 1")
        if not 0 <= self.severity <= 3:
            raise ValueError("severity is 0 to 3")
        if self.graphic and not self.violence:
            raise ValueError("graphic implies violence")
        if (self.severity == 3) != bool(self.graphic) or (self.severity == 0) != (
            not self.violence
        ):
            raise ValueError("severity must agree with the labels: 0 none, 1-2 violence, 3 graphic")


# The one-key corrections the dashboard offers, as labels.
NOT_VIOLENT = Labels(0, 0, 0)
IN_PASSING = Labels(1, 0, 1)
VIOLENT_NOT_GRAPHIC = Labels(1, 0, 2)
GRAPHIC = Labels(1, 1, 3)


@dataclass(frozen=True)
class Review:
    """One stored decision about one passage."""

    id: int
    passage_id: int
    reviewer: str
    decision: str
    labels: Labels | None = None
    decided_at: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Decided:
    """One of a reviewer's decisions still standing, and where its passage is (the
    document's record id, the passage's index in it): what a reviewer can reopen."""

    review: Review
    record_id: str
    index: int


def model_labels(flags: Iterable[str], severity: int) -> Labels:
    """The labels a ``confirm`` stands for: the model's own flags and severity."""
    flagged = set(flags)
    return Labels(int("violence" in flagged), int("graphic" in flagged), severity)


def standing(reviews: Iterable[Review]) -> list[Review]:
    """The decisions still in force, oldest first, after applying every undo."""
    kept: list[Review] = []
    for review in sorted(reviews, key=lambda r: r.id):
        if review.decision == "undo":
            mine = [r for r in kept if r.reviewer == review.reviewer]
            if mine:
                kept.remove(mine[-1])
        else:
            kept.append(review)
    return kept


def latest_standing(newest_first: Iterable[Review]) -> Review | None:
    """The newest decision still standing among one reviewer's decisions, given newest
    first: an undo cancels that reviewer's latest standing decision on its passage, so
    from the newest end each undo cancels the next decision on that passage. Reads no
    further than the answer: one decision, or past a run of undos.

    >>> latest_standing([Review(3, 7, "ana", "undo"), Review(2, 7, "ana", "skip"),
    ...                  Review(1, 6, "ana", "skip")]).id
    1
    """
    undone: dict[int, int] = {}
    for review in newest_first:
        if review.decision == "undo":
            undone[review.passage_id] = undone.get(review.passage_id, 0) + 1
        elif undone.get(review.passage_id):
            undone[review.passage_id] -= 1
        else:
            return review
    return None


def labels_standing(reviews: Iterable[Review], reviewer: str) -> bool:
    """Whether ``reviewer``'s standing decisions on a passage (``reviews``: all of its
    reviews) include a label: what "labelled by you" counts."""
    return any(r.reviewer == reviewer and r.labels is not None for r in standing(reviews))


def queue_state(reviews: Iterable[Review], junk: bool = False) -> int:
    """A passage's queue state from its reviews: any standing label makes it ``LABELLED``,
    standing skips alone ``SKIPPED``; with nothing standing (never decided, or every
    decision undone) it waits again, unless it is junk.

    >>> queue_state([Review(1, 7, "ana", "skip"), Review(2, 7, "ana", "undo")])
    1
    """
    kept = standing(reviews)
    if any(r.labels is not None for r in kept):
        return LABELLED
    if kept:
        return SKIPPED
    return JUNK if junk else WAITING


def current_labels(reviews: Iterable[Review]) -> Labels | None:
    """The passage's label now: its latest standing confirm or correction, if any.

    >>> r = [Review(1, 7, "ana", "correct", GRAPHIC), Review(2, 7, "ana", "undo")]
    >>> current_labels(r) is None
    True
    """
    labelled = [r for r in standing(reviews) if r.labels is not None]
    return labelled[-1].labels if labelled else None


# Every valid Labels is one of the four above: each has the words the dashboard shows.
LABEL_WORDS = {
    NOT_VIOLENT: "not violent",
    IN_PASSING: "violent, in passing",
    VIOLENT_NOT_GRAPHIC: "violent, described",
    GRAPHIC: "graphic",
}


def label_text(labels: Labels) -> str:
    """Labels spelled out, as reviewers read them everywhere.

    >>> label_text(Labels(1, 0, 2)), label_text(Labels(0, 0, 0))
    ('violent, described', 'not violent')
    """
    return LABEL_WORDS[labels]


def history(reviews: list[Review]) -> list[dict[str, str]]:
    """Every decision on a passage, oldest first, with its note; a decision cancelled by a
    later undo is marked "(undone)".

    >>> [h["decision"] for h in history([Review(1, 7, "ana", "skip"), Review(2, 7, "ana", "undo")])]
    ['skip (undone)', 'undo']
    """
    kept = {r.id for r in standing(reviews)}
    return [
        {
            "when": str(r.decided_at)[:19].replace("T", " "),
            "reviewer": r.reviewer,
            "decision": r.decision
            + (" (undone)" if r.decision != "undo" and r.id not in kept else ""),
            "labels": "–" if r.labels is None else label_text(r.labels),
            "note": r.note or "",
        }
        for r in sorted(reviews, key=lambda r: r.id)
    ]


def uncertainty(scores: dict[str, float], thresholds: dict[str, float]) -> float:
    """Distance of the closest score to its threshold: lower is more uncertain."""
    return min(abs(scores[label] - thresholds[label]) for label in thresholds)


@dataclass(frozen=True)
class Reviewed:
    """One reviewed passage: the model's flags and each reviewer's latest standing labels."""

    passage_id: int
    model_flags: tuple[str, ...]
    by_reviewer: dict[str, Labels]  # in the order reviewers first decided
    current: Labels  # the adjudicated label, else the latest standing one, whoever gave it
    record_id: str  # the passage's document, position in it, and text (for training rows)
    index: int
    text: str
    adjudicated: Labels | None = None  # the final label an adjudicator picked, if any

    @property
    def disputed(self) -> bool:
        """Reviewers' latest labels differ."""
        return len(set(self.by_reviewer.values())) > 1

    @property
    def unresolved(self) -> bool:
        """Disputed, and no adjudicator has picked the final label yet: not trained on."""
        return self.disputed and self.adjudicated is None


def shingles(text: str, size: int = 3) -> frozenset[str]:
    """Word ``size``-grams of a text, lower-cased: what near-duplicates share."""
    words = text.lower().split()
    return frozenset(" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))


def near_duplicate(a: frozenset[str], b: frozenset[str], threshold: float = 0.5) -> bool:
    """Jaccard similarity of two shingle sets at or above ``threshold``."""
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def pick_diverse(candidates: list[tuple[int, str]], recent: list[str]) -> int | None:
    """The first candidate (most valuable first) that is no near-duplicate of a passage
    the reviewer just saw; the first candidate when all are.

    >>> pick_diverse([(1, "troops shot ten men in the square"), (2, "a bus crashed")],
    ...              ["troops shot ten men in the square today"])
    2
    """
    seen = [shingles(text) for text in recent]
    for passage_id, text in candidates:
        mine = shingles(text)
        if not any(near_duplicate(mine, other) for other in seen):
            return passage_id
    return candidates[0][0] if candidates else None

"""Label quality: reviews that are probably mistakes, and batches that look coordinated.

Two checks, both read-only until ``flag_mistakes`` queues what they found as second looks
for a different reviewer:

- :func:`suspicious`: a review whose label a model that never saw it gives a probability
  below ``1 - confidence`` (``suspicious_reviews`` cross-validates by document, as
  cleanlab does);
- :func:`phrase_flips`: at least MIN_PHRASE_FLIPS reviewed passages that share a two-word
  phrase, each labelled against the current model's confident label (retraining holds
  them back).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import Row, group_bucket
from labeler.model import Model

CONFIDENT_MARGIN = 0.15  # a model's label is confident this far from its threshold
MIN_PHRASE_FLIPS = 10  # reviews sharing a phrase, all against a confident label: suspicious
FOLDS = 3
CONFIDENCE = 0.9
_WORD = re.compile(r"[a-z0-9']+")


def suspicious(labels: np.ndarray, proba: np.ndarray, *, confidence: float) -> np.ndarray:
    """Where a given label is improbable: ``labels`` (n, k) of 0/1 as reviewed, ``proba``
    (n, k) scores in [0, 1] of a model that did not learn those reviews. True where the
    model gives the reviewed label (1: the score, 0: one minus it) a probability below
    ``1 - confidence``.

    >>> suspicious(np.array([[1, 0], [0, 0]]), np.array([[0.05, 0.5], [0.97, 0.2]]),
    ...            confidence=0.9).tolist()
    [[True, False], [True, False]]
    """
    labels, proba = np.asarray(labels), np.asarray(proba, dtype=float)
    given = np.where(labels == 1, proba, 1.0 - proba)
    return given < 1.0 - confidence


def suspicious_reviews(
    data_dir: Path, reviewed: list[Row], *, folds: int = FOLDS, confidence: float = CONFIDENCE
) -> list[dict[str, Any]]:
    """Reviews a model confidently disagrees with, cross-validated (as cleanlab does).

    Reviewed passages are split into ``folds`` by document; each fold is scored by a
    model trained on the training data plus the other folds, so no passage is
    judged by a model that learned its own review (:func:`suspicious`).
    """
    from labeler.learn.training import SHIPPED, train
    from labeler.model import load_model

    current = load_model()
    fold = [group_bucket(r.group, folds) for r in reviewed]
    out = []
    for k in range(folds):
        held = [r for r, f in zip(reviewed, fold, strict=True) if f == k]
        if not held:
            continue
        rest = [r for r, f in zip(reviewed, fold, strict=True) if f != k]
        # the word recipe: k refits stay quick; its operating points are not used here
        model, _ = train(data_dir, SHIPPED.words_only(), extra=rest, points_from=current)
        proba = model.predict_proba([r.text for r in held])
        given = np.array([[int(bool(r.labels[label])) for label in LABELS] for r in held])
        flagged = suspicious(given, proba, confidence=confidence)
        for i, j in zip(*np.nonzero(flagged), strict=True):
            row, label = held[i], LABELS[j]
            out.append(
                {
                    "id": row.id,
                    "passage_id": row.passage_id,
                    "label": label,
                    "reviewed": row.labels[label],
                    "model": round(float(proba[i, j]), 4),
                    "text": row.text,
                }
            )
    return sorted(out, key=lambda s: (s["id"], s["passage_id"] or 0))


def phrase_flips(
    rows: list[Row],
    model: Model,
    trusted: set[int] | frozenset[int] = frozenset(),
) -> list[dict[str, Any]]:
    """Groups of reviews that look like a coordinated batch: at least MIN_PHRASE_FLIPS
    reviewed passages that share a two-word phrase, each labelled against ``model``'s
    confident label (score at least CONFIDENT_MARGIN on the other side of its threshold).

    Returns ``[{"phrase", "passage_ids", "labels"}]``, largest group first; a passage is
    in at most one group. Passages in ``trusted`` (settled by two reviewers who agree)
    are never flagged. Pure: scores ``rows`` with ``model`` and looks at their words.
    """
    candidates = [r for r in rows if r.passage_id is not None and r.passage_id not in trusted]
    if not candidates:
        return []
    proba = model.predict_proba([r.text for r in candidates])
    limits = np.array([model.thresholds[label] for label in LABELS])
    flipped: list[tuple[Row, list[str]]] = []
    for row, p in zip(candidates, proba, strict=True):
        against = _against_confident(row, p, limits)
        if against:
            flipped.append((row, against))
    stop = frozenset(model.tfidf.stop_words)
    by_phrase: dict[str, list[int]] = defaultdict(list)
    for k, (row, _) in enumerate(flipped):
        words = _WORD.findall(row.text.lower())
        phrases = {
            f"{a} {b}"
            for a, b in zip(words, words[1:], strict=False)
            if not (a in stop and b in stop)
        }
        for phrase in phrases:
            by_phrase[phrase].append(k)
    groups, taken = [], set()
    for phrase, members in sorted(by_phrase.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        members = [k for k in members if k not in taken]
        if len(members) < MIN_PHRASE_FLIPS:
            continue
        taken.update(members)
        groups.append(
            {
                "phrase": phrase,
                "passage_ids": sorted(int(flipped[k][0].passage_id or 0) for k in members),
                "labels": sorted({label for k in members for label in flipped[k][1]}),
            }
        )
    return groups


def _against_confident(row: Row, p: np.ndarray, limits: np.ndarray) -> list[str]:
    """The labels ``row``'s review sets against the model's confident decision.

    The decision is ``decide``'s: graphic implies violence, so a confident graphic
    flag is a confident violence flag too. Confident: the deciding score is at least
    CONFIDENT_MARGIN from its threshold.
    """
    margin = np.abs(p - limits) >= CONFIDENT_MARGIN
    decided = p >= limits
    sure = margin.copy()
    if decided[1] and margin[1]:  # violence follows a confident graphic flag
        decided[0], sure[0] = True, True
    return [
        label
        for j, label in enumerate(LABELS)
        if row.labels[label] is not None and sure[j] and bool(row.labels[label]) != decided[j]
    ]


@dataclass
class Mistakes:
    """What ``labeler quality`` found: reviews a cross-validated model confidently
    disagrees with, and batches of reviews flipping passages that share a phrase."""

    reviewed: int  # reviewed passages looked at
    suspicious: list[dict[str, Any]]
    batches: list[dict[str, Any]]


def find_mistakes(
    store_target: str,
    data_dir: Path,
    model: Model,
    *,
    folds: int = FOLDS,
    confidence: float = CONFIDENCE,
) -> Mistakes:
    """Both checks on the store's reviewed passages (disputed ones left out, passages two
    reviewers agree on trusted), against ``model`` as the current one."""
    from labeler.learn.dataset import reviewed_rows, settled
    from labeler.store.store import Store

    with Store(store_target) as store:
        items = store.labelled.items()
    rows, _ = reviewed_rows(items)
    found = suspicious_reviews(data_dir, rows, folds=folds, confidence=confidence)
    return Mistakes(len(rows), found, phrase_flips(rows, model, settled(items)))


def flag_mistakes(store_target: str, mistakes: Mistakes) -> None:
    """Queue every passage found as a second look for a different reviewer, with the reason
    (by passage id: two documents may share an id)."""
    from labeler.store.store import Store

    with Store(store_target) as store:
        for item in mistakes.suspicious:
            reason = (
                f"model gives {item['label']} {item['model']:.2f}, review said {item['reviewed']}"
            )
            store.queue.flag_for_second_look(item["passage_id"], reason)
        for group in mistakes.batches:
            for passage_id in group["passage_ids"]:
                store.queue.flag_for_second_look(
                    passage_id, f"one of a batch on '{group['phrase']}'"
                )

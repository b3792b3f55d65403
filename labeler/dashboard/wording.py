"""The words the review screen uses: the model's claim about a passage, its review point,
a passage's name, a decision. Pure functions, no Streamlit: one wording for every place.

Passages are numbered from 1, as in their document; a database id never reaches a reviewer.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from labeler.labels import LABELS
from labeler.store.review import Review, label_text, model_labels


def document_name(record_id: str) -> str:
    """A document's name without the folders of its path (the heading names the path).

    >>> document_name("feeds/2024/wire.txt"), document_name("d1")
    ('wire.txt', 'd1')
    """
    return PurePath(record_id).name or record_id


def passage_name(record_id: str, index: int) -> str:
    """A passage as reviewers know it: its document and its number there, from 1.

    >>> passage_name("feeds/wire.txt", 2)
    'wire.txt · passage 3'
    """
    return f"{document_name(record_id)} · passage {index + 1}"


def label_safe(text: str, limit: int = 32) -> str:
    """``text`` fit for a widget's label, which Streamlit reads as markdown: only letters,
    digits, spaces, dots and hyphens are kept, the rest becomes "?", so no markup, link,
    emoji code or maths can be made of it; cut to ``limit`` characters.

    >>> label_safe("wire_[x](javascript:1) :smile: $x$.txt")
    'wire??x??javascript?1? ?smile? …'
    """
    kept = re.sub(r"[^\w .-]|_", "?", text)
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def model_claim(p: dict[str, Any], thresholds: dict[str, float] | None) -> str:
    """What the model says of passage ``p`` (its flags, severity and scores), in words,
    with the score that decided it and that label's threshold (when the scoring model's
    card is known here).

    >>> p = {"flags": ["violence"], "severity": 2, "violence": 0.94, "graphic": 0.1}
    >>> model_claim(p, {"violence": 0.39, "graphic": 0.31})
    'The model flags this as violent, described: 0.94, threshold 0.39.'
    >>> model_claim({**p, "flags": [], "severity": 0, "violence": 0.12}, None)
    'The model does not flag this: violence 0.12.'
    """
    if not p["flags"]:
        label = "violence"
        opening = "The model does not flag this: violence "
    else:
        label = "graphic" if "graphic" in p["flags"] else "violence"
        opening = f"The model flags this as {label_text(model_labels(p['flags'], p['severity']))}: "
    limit = f", threshold {thresholds[label]:.2f}" if thresholds else ""
    return f"{opening}{p[label]:.2f}{limit}."


def review_point(p: dict[str, Any], points: dict[str, float] | None) -> str | None:
    """Whether passage ``p`` is to review beyond its flags, with the score and the review
    point (``points``, the scoring model's, when its card has them) that decided it. A
    record's ``review`` holds the labels whose score reaches that label's review point, a
    superset of its flags; None when it was scored before the store kept them (nothing is
    said then, rather than guessed).

    >>> p = {"flags": [], "review": ["violence"], "violence": 0.31, "graphic": 0.01}
    >>> review_point(p, {"violence": 0.25, "graphic": 0.02})
    'To review: at the review point for violence (0.31, review point 0.25).'
    >>> review_point({**p, "flags": ["violence"], "review": ["violence", "graphic"]}, None)
    'Also to review: at the review point for graphic (0.01).'
    >>> review_point({**p, "review": []}, {"violence": 0.25, "graphic": 0.02})
    'Not to review either: under the review point (violence 0.25, graphic 0.02).'
    >>> review_point({**p, "flags": ["violence"]}, None) is None
    True
    >>> review_point({**p, "review": None}, None) is None
    True
    """
    if p.get("review") is None:
        return None
    below_flag = [label for label in LABELS if label in p["review"] and label not in p["flags"]]
    if below_flag:
        reached = " and ".join(f"{label} ({_at_point(p, label, points)})" for label in below_flag)
        opening = "Also to review" if p["flags"] else "To review"
        return f"{opening}: at the review point for {reached}."
    if p["flags"]:
        return None  # the claim says it all: a flag is always to review
    if points is None:
        return "Not to review either: under the review point."
    return (
        "Not to review either: under the review point ("
        + ", ".join(f"{label} {points[label]:.2f}" for label in LABELS)
        + ")."
    )


def _at_point(p: dict[str, Any], label: str, points: dict[str, float] | None) -> str:
    """A label's score, and its review point when known."""
    return f"{p[label]:.2f}" + (f", review point {points[label]:.2f}" if points else "")


def decision_words(review: Review) -> str:
    """A decision as the reviewer made it, its label spelled out.

    >>> from labeler.store.review import GRAPHIC
    >>> decision_words(Review(1, 7, "ana", "confirm", GRAPHIC))
    'graphic (agreed with the model)'
    >>> decision_words(Review(2, 7, "ana", "skip"))
    'skipped'
    """
    if review.labels is None:
        return "skipped" if review.decision == "skip" else review.decision
    agreed = " (agreed with the model)" if review.decision == "confirm" else ""
    return f"{label_text(review.labels)}{agreed}"


def marked(version: str | None, current: str) -> str:
    """A version as every list shows it: the current one says so."""
    return "" if version is None else version + (" (current)" if version == current else "")

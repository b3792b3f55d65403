"""The content warning an editor pastes above an article, derived from its flags and evidence.

Deterministic and explainable: the level is the strongest label flagged in any passage,
and the line names what the flagged passages depict by their strongest evidence terms
(adjacent evidence words joined into one phrase, "buried" + "alive" → "buried alive").
No text is generated: every word of the line is the level's fixed wording or a span of
the document itself.
"""

from __future__ import annotations

from typing import Any, TypedDict

from labeler.tokens import ENGLISH_STOP_WORDS

LEVELS = ("none", "violence", "graphic")
WORDING = {
    "violence": "Contains descriptions of violence",
    "graphic": "Contains graphic descriptions of violence",
}
MAX_TERMS = 3
# A term carrying less than this share of the strongest term's weight is left out: the line
# names what the passages depict, not every word the model leaned on ("reports", a place).
MIN_SHARE = 0.5


class ContentWarning(TypedDict):
    level: str  # "none", "violence" or "graphic"
    text: str | None  # the line to paste; None for level "none"


def document_warning(passages: list[dict[str, Any]]) -> ContentWarning:
    """The warning for a document from its scored passages (``flags``, ``text``, ``evidence``).

    >>> p = {"flags": ["violence", "graphic"], "text": "He was buried alive.", "evidence": [
    ...     {"label": "graphic", "term": "buried", "start": 7, "end": 13, "weight": 0.3},
    ...     {"label": "graphic", "term": "alive", "start": 14, "end": 19, "weight": 1.0}]}
    >>> document_warning([p])
    {'level': 'graphic', 'text': 'Contains graphic descriptions of violence: buried alive'}
    >>> q = {"flags": ["violence", "graphic"], "text": "In Iraq.", "evidence": [
    ...     {"label": "graphic", "term": "iraq", "start": 3, "end": 7, "weight": 0.6}]}
    >>> document_warning([p, q])["text"]  # "iraq" weighs under half of "buried alive"
    'Contains graphic descriptions of violence: buried alive'
    >>> document_warning([{"flags": [], "text": "Calm.", "evidence": []}])
    {'level': 'none', 'text': None}
    """
    flagged = {label for p in passages for label in p["flags"]}
    level = "graphic" if "graphic" in flagged else "violence" if "violence" in flagged else "none"
    if level == "none":
        return {"level": "none", "text": None}
    weights: dict[str, float] = {}
    for p in passages:
        if level in p["flags"]:
            for phrase, weight in _phrases(p["text"], p["evidence"], level):
                weights[phrase] = weights.get(phrase, 0.0) + weight
    for phrase in list(weights):  # "alive" alone says less than "buried alive": fold it in
        longer = [o for o in weights if o != phrase and f" {phrase} " in f" {o} "]
        if longer:
            weights[max(longer, key=weights.__getitem__)] += weights.pop(phrase)
    terms = sorted(weights, key=lambda t: (-weights[t], t))[:MAX_TERMS]
    terms = [t for t in terms if weights[t] >= MIN_SHARE * weights[terms[0]]]
    return {"level": level, "text": WORDING[level] + (": " + ", ".join(terms) if terms else "")}


def _phrases(text: str, evidence: list[dict[str, Any]], label: str) -> list[tuple[str, float]]:
    """The passage's evidence spans for ``label``, with spans one space apart joined."""
    spans = sorted(
        {(e["start"], e["end"]): e["weight"] for e in evidence if e["label"] == label}.items()
    )
    merged: list[list[Any]] = []
    for (start, end), weight in spans:
        if merged and text[merged[-1][1] : start].strip() == "" and start - merged[-1][1] <= 1:
            merged[-1][1], merged[-1][2] = end, merged[-1][2] + weight
        else:
            merged.append([start, end, weight])
    out = []
    for start, end, weight in merged:
        phrase = " ".join(text[start:end].lower().split())
        if phrase and phrase not in ENGLISH_STOP_WORDS:
            out.append((phrase, weight))
    return out

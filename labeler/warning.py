"""The content warning an editor pastes above an article, derived from its flags.

Deterministic and explainable: the level is the strongest label flagged in any passage,
and the line names what the flagged passages depict in the words of content-warning
practice (``labeler.depicted_acts``: "people buried alive", "shooting", "sexual violence"),
never whichever tokens weighed most. Every category named comes from a phrase of a
flagged passage; nothing is generated.

The passages' flags are whatever stands for them: the model's, or a reviewer's decision
where there is one (``labeler.store.warnings``), so the warning follows the labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from labeler.depicted_acts import BY_KEY, CATEGORIES, THREATS, WAR
from labeler.depictions import depicted

LEVELS = ("none", "violence", "graphic")
WORDING = {
    "violence": "Contains descriptions of violence",
    "graphic": "Contains graphic descriptions of violence",
}
THREAT_WORDING = {
    "violence": "Contains threats of violence",
    "graphic": "Contains graphic threats of violence",
}
MAX_NAMED = 4  # acts a line names; ``categories`` keeps every one found
_ORDER = {c.key: i for i, c in enumerate(CATEGORIES)}
GENERIC = "killing"  # named only when no more specific act is: "shooting", not "shooting, killing"


class ContentWarning(TypedDict):
    level: str  # "none", "violence" or "graphic"
    text: str | None  # the line to paste; None for level "none"
    categories: list[str]  # depicted acts (``labeler.depicted_acts`` keys), for filtering


def level_of(flags: Iterable[str]) -> str:
    """The warning level of a set of flags: the strongest label among them."""
    flagged = set(flags)
    return "graphic" if "graphic" in flagged else "violence" if "violence" in flagged else "none"


def document_warning(passages: Iterable[Mapping[str, Any]]) -> ContentWarning:
    """The warning for a document from its passages' ``flags`` and ``text``.

    Categories found in passages flagged at the document's level come first ("buried
    alive" before the shooting two paragraphs on, in a graphic story), then the
    vocabulary's order; war, the context, after the acts; a threat is named as one.

    >>> p = {"flags": ["violence", "graphic"], "text": "He was buried alive."}
    >>> w = document_warning([p])
    >>> w["level"], w["text"], w["categories"]
    ('graphic', 'Contains graphic descriptions of violence: people buried alive', ['killing'])
    >>> q = {"flags": ["violence"], "text": "I will find you and cut your throat."}
    >>> document_warning([q])["text"]
    'Contains threats of violence'
    >>> document_warning([{"flags": [], "text": "Calm."}])
    {'level': 'none', 'text': None, 'categories': []}
    """
    passages = list(passages)
    level = level_of(flag for p in passages for flag in p["flags"])
    if level == "none":
        return {"level": "none", "text": None, "categories": []}
    found: dict[str, tuple[str, bool]] = {}  # key -> (wording, in a passage at the level)
    for p in passages:
        if not p["flags"]:
            continue
        at_level = level in p["flags"]
        for key, wording in depicted(p["text"]):
            known, was_at_level = found.get(key, (wording, False))
            specific = known if known != BY_KEY[key].wording else wording
            found[key] = (specific, was_at_level or at_level)
    keys = sorted(found, key=lambda k: (_group(k), not found[k][1], _ORDER[k]))
    return {"level": level, "text": _line(level, keys, found), "categories": keys}


def _group(key: str) -> int:
    """Acts first, then war (context), then threats (named after what is described)."""
    return 2 if key == THREATS else 1 if key == WAR else 0


def _line(level: str, keys: list[str], found: dict[str, tuple[str, bool]]) -> str:
    """The line: the level's wording, then up to MAX_NAMED acts, then any threat."""
    acts = [k for k in keys if k != THREATS]
    generic = found.get(GENERIC)
    if generic and generic[0] == BY_KEY[GENERIC].wording and set(acts) - {GENERIC, WAR}:
        acts.remove(GENERIC)
    named = [found[k][0] for k in acts[:MAX_NAMED]]
    if THREATS in found:
        if not named:
            return THREAT_WORDING[level]
        named.append(BY_KEY[THREATS].wording)
    return WORDING[level] + (": " + ", ".join(named) if named else "")

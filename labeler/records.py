"""The document and passage records every tool reads (the README's schema), built here only.

A record is plain JSON once written; in Python it is a ``TypedDict``, made by
:func:`document_record` and :func:`passage_record` and never completed by anyone else.
``source`` and ``fields`` are present only for documents read from files (``labeler
score``, the dashboard's upload), ``fields`` only when the input record had other fields.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypedDict

from labeler.evidence import Phrase
from labeler.warning import ContentWarning, document_warning


class Evidence(TypedDict):
    label: str
    term: str  # the phrase as the passage says it, lower-cased: "stabbed to death"
    start: int  # offsets in the passage text
    end: int
    weight: float  # how strongly the evidence lexicon ties the phrase to the label (log-odds)


class PassageRecord(TypedDict):
    index: int  # from 0, in reading order
    start: int  # offsets in the document text: text[start:end] == passage text
    end: int
    text: str
    scores: dict[str, float]  # calibrated probabilities in [0, 1], by label
    flags: list[str]
    review: list[str]  # labels at or above their review threshold: a superset of flags
    severity: int  # 0-3
    scorer: str  # "sentence", or "words": the word model's scores (--fast, or the screen)
    evidence: list[Evidence]


class Source(TypedDict):
    path: str
    line: int | None  # the line (JSONL) or row (CSV) of the record; None for a whole file


class _Document(TypedDict):
    id: str
    scores: dict[str, float]  # the maximum over the passages
    flags: list[str]  # the union over the passages
    review: list[str]  # the union over the passages
    severity: int  # the maximum over the passages
    warning: ContentWarning
    passages: list[PassageRecord]
    model: str  # the version of the model that scored it (VERSION+words: the word model alone)


class DocumentRecord(_Document, total=False):
    source: Source
    fields: dict[str, Any]


class Origin(NamedTuple):
    """Where a document was read from, and the input record's other fields."""

    path: str
    line: int | None = None
    fields: dict[str, Any] | None = None


def passage_record(
    index: int,
    start: int,
    end: int,
    text: str,
    scores: dict[str, float],
    flags: list[str],
    review: list[str],
    severity: int,
    scorer: str,
    evidence: list[Evidence],
) -> PassageRecord:
    return {
        "index": index,
        "start": start,
        "end": end,
        "text": text,
        "scores": scores,
        "flags": flags,
        "review": review,
        "severity": severity,
        "scorer": scorer,
        "evidence": evidence,
    }


def evidence_entry(label: str, phrase: Phrase) -> Evidence:
    """One evidence span of a passage for ``label``."""
    term = " ".join(phrase.text.lower().split())
    return {
        "label": label,
        "term": term,
        "start": phrase.start,
        "end": phrase.end,
        "weight": round(phrase.weight, 4),
    }


def document_record(
    id: str,
    passages: list[PassageRecord],
    scores: dict[str, float],
    flags: list[str],
    review: list[str],
    severity: int,
    model: str,
    origin: Origin | None = None,
) -> DocumentRecord:
    """A document's record; its warning is derived from its passages (``labeler.warning``)."""
    record: DocumentRecord = {
        "id": id,
        "scores": scores,
        "flags": flags,
        "review": review,
        "severity": severity,
        "warning": document_warning(passages),  # type: ignore[arg-type]
        "passages": passages,
        "model": model,
    }
    if origin is not None:
        record["source"] = {"path": origin.path, "line": origin.line}
        if origin.fields:
            record["fields"] = origin.fields
    return record

"""Score documents: split into passages, score them in one batch, build records.

The document record (the schema every tool reads)::

    {"id", "scores": {label: p}, "flags": [...], "severity": 0-3,
     "warning": {"level": "none"|"violence"|"graphic", "text": "Contains ..." or null},
     "passages": [{"index", "start", "end", "text", "scores", "flags", "severity",
                   "evidence": [{"label", "term", "start", "end", "weight"}],
                   "review": [labels at or above the review operating point]}],
     "model": "<model version>"}

Document scores are the maximum over its passages, its flags the union, its
severity the maximum. Junk passages (menus, icon lists: :func:`is_junk`) keep
zero scores. Passage offsets index the document text; evidence offsets
index the passage text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from labeler.labels import LABELS, decide, flag_lists
from labeler.model import Model, load_model
from labeler.passages import Passage, is_junk, split_passages
from labeler.warning import document_warning


@lru_cache(maxsize=1)
def default_model() -> Model:
    return load_model()


def score_documents(
    docs: list[tuple[str, str]],
    model: Model | None = None,
    thresholds: Mapping[str, float | str] | None = None,
) -> list[dict[str, Any]]:
    """Score ``(id, text)`` pairs; passages of the whole batch are scored together.

    ``thresholds`` overrides the model's per-label flag thresholds with a number or an
    operating point name, ``"flag"`` or ``"review"`` (e.g. from the CLI). Each passage's
    ``review`` lists the labels whose score reaches the review operating point.
    """
    model = model or default_model()
    if not docs:
        return []
    split = [split_passages(text) for _, text in docs]
    flat = [p for passages in split for p in passages]
    X = model.features([p.text for p in flat])
    proba = model.proba(X)
    proba[[is_junk(p.text) for p in flat]] = 0.0
    flags, severity = decide(
        proba, model.resolve_thresholds(thresholds), model.described_at, model.described(X)
    )
    review = proba >= np.array([model.review_thresholds[label] for label in LABELS])
    names, reviews = flag_lists(flags), flag_lists(review)
    scores = [_scores(row) for row in np.round(proba, 4).tolist()]
    top = model.top_terms(X, flags)
    negation = model.may_negate(X)
    passages = [
        _passage(
            p,
            scores[i],
            names[i],
            sev,
            model.evidence(p.text, top[i], bool(negation[i])) if i in top else [],
            reviews[i],
        )
        for i, (p, sev) in enumerate(zip(flat, severity.tolist(), strict=True))
    ]
    starts = np.cumsum([0] + [len(ps) for ps in split[:-1]])
    doc_scores = np.round(np.maximum.reduceat(proba, starts), 4).tolist()
    records, row = [], 0
    for (doc_id, _), count, doc_top in zip(docs, map(len, split), doc_scores, strict=True):
        records.append(_document(doc_id, passages[row : row + count], doc_top, model.version))
        row += count
    return records


def score_text(text: str, doc_id: str = "", model: Model | None = None) -> dict[str, Any]:
    """Score one document.

    >>> record = score_text("Gunmen shot dead three villagers and set their homes on fire.")
    >>> record["flags"], record["passages"][0]["evidence"][0]["label"]
    (['violence'], 'violence')
    """
    return score_documents([(doc_id, text)], model)[0]


def _passage(
    p: Passage,
    scores: dict[str, float],
    flags: list[str],
    severity: int,
    evidence: list[Any],
    review: list[str],
) -> dict[str, Any]:
    return {
        "index": p.index,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "scores": scores,
        "flags": flags,
        "severity": severity,
        "evidence": evidence,
        "review": review,
    }


def _document(
    doc_id: str, passages: list[dict[str, Any]], top: list[float], version: str
) -> dict[str, Any]:
    if len(passages) == 1:  # most records: the document is its one passage
        only = passages[0]
        scores, flags, severity = only["scores"], only["flags"], only["severity"]
    else:
        flagged = {name for p in passages for name in p["flags"]}
        scores = _scores(top)
        flags = [label for label in LABELS if label in flagged]
        severity = max(p["severity"] for p in passages)
    return {
        "id": doc_id,
        "scores": scores,
        "flags": flags,
        "severity": severity,
        "warning": document_warning(passages) if flags else {"level": "none", "text": None},
        "passages": passages,
        "model": version,
    }


def _scores(row: list[float]) -> dict[str, float]:
    violence, graphic = row  # LABELS order
    return {"violence": violence, "graphic": graphic}

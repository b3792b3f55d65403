"""Score documents: split into passages, score them in one batch, build records.

The document record (the schema every tool reads)::

    {"id", "scores": {label: p}, "flags": [...], "severity": 0-3,
     "passages": [{"index", "start", "end", "text", "scores", "flags", "severity",
                   "evidence": [{"label", "term", "start", "end", "weight"}]}],
     "model": "<model version>"}

Document scores are the maximum over its passages, its flags the union, its
severity the maximum. Junk passages (menus, icon lists: :func:`is_junk`) keep
zero scores. Passage offsets index the document text; evidence offsets
index the passage text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from labeler.labels import LABELS, decide, flag_names
from labeler.model import Model, load_model
from labeler.passages import Passage, is_junk, split_passages


@lru_cache(maxsize=1)
def default_model() -> Model:
    return load_model()


def score_documents(
    docs: list[tuple[str, str]], model: Model | None = None
) -> list[dict[str, Any]]:
    """Score ``(id, text)`` pairs; passages of the whole batch are scored together."""
    model = model or default_model()
    split = [split_passages(text) for _, text in docs]
    flat = [p for passages in split for p in passages]
    X = model.features([p.text for p in flat])
    proba = model.proba(X)
    proba[[is_junk(p.text) for p in flat]] = 0.0
    flags, severity = decide(proba, model.thresholds, model.described_at)
    records, row = [], 0
    for (doc_id, _), passages in zip(docs, split, strict=True):
        rows = range(row, row + len(passages))
        out = [
            _passage(p, model, X, i, proba[i], flags[i], int(severity[i]))
            for p, i in zip(passages, rows, strict=True)
        ]
        records.append(_document(doc_id, out, proba[row : row + len(passages)], model))
        row += len(passages)
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
    model: Model,
    X: Any,
    row: int,
    proba: np.ndarray,
    flags: np.ndarray,
    severity: int,
) -> dict[str, Any]:
    names = flag_names(flags)
    x = X[row] if names else None  # slicing a sparse row is slow: only for flagged passages
    return {
        "index": p.index,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "scores": _scores(proba),
        "flags": names,
        "severity": severity,
        "evidence": [ev for label in names for ev in model.evidence(x, p.text, label)],
    }


def _document(
    doc_id: str, passages: list[dict[str, Any]], proba: np.ndarray, model: Model
) -> dict[str, Any]:
    flagged = {name for p in passages for name in p["flags"]}
    return {
        "id": doc_id,
        "scores": _scores(proba.max(axis=0)),
        "flags": [label for label in LABELS if label in flagged],
        "severity": max(p["severity"] for p in passages),
        "passages": passages,
        "model": model.version,
    }


def _scores(proba: np.ndarray) -> dict[str, float]:
    return {label: round(float(p), 4) for label, p in zip(LABELS, proba, strict=True)}

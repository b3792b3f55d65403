"""Score documents: split into passages, score them in one batch, build records.

The document record (the schema every tool reads)::

    {"id", "scores": {label: p}, "flags": [...], "review": [...], "severity": 0-3,
     "warning": {"level": "none"|"violence"|"graphic", "text": "Contains ..." or null},
     "passages": [{"index", "start", "end", "text", "scores", "flags", "review",
                   "severity", "scorer",
                   "evidence": [{"label", "term", "start", "end", "weight"}]}],
     "model": "<model version>"}

The records are ``labeler.records``' types, built there. Document scores are the
maximum over its passages, its flags and review the union, its severity the maximum.
Junk passages (menus, icon lists: :func:`is_junk`) keep zero scores. Passages the word
model's screen clears are never flagged nor sent to review, and keep the word model's
scores (``"scorer": "words"``). Passage offsets index the document text; evidence
offsets index the passage text. Evidence (``labeler.evidence``: phrases of the model's
evidence lexicon) is given for each label a passage is flagged or to review for.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from labeler.evidence import Lexicon, Words
from labeler.labels import LABELS, decide, flag_names
from labeler.model import Model, load_model
from labeler.passages import Passage, is_junk, split_passages
from labeler.records import (
    DocumentRecord,
    Evidence,
    Origin,
    PassageRecord,
    document_record,
    evidence_entry,
    passage_record,
)

__all__ = ["Origin", "cached_model", "score_documents", "score_passages", "score_text"]


@lru_cache(maxsize=4)
def cached_model(model_dir: str | None = None, fast: bool = False) -> Model:
    """The one model cache: each model directory (None: the shipped model) is loaded and
    verified once per process, by scoring, batch workers and the dashboard alike;
    ``fast``: its word model alone (``labeler score --fast``)."""
    return cached_model(model_dir).words_only() if fast else load_model(model_dir)


def score_documents(
    docs: Sequence[tuple[str, str]],
    model: Model | None = None,
    thresholds: dict[str, float] | None = None,
    *,
    origins: Sequence[Origin] | None = None,
) -> list[DocumentRecord]:
    """Score ``(id, text)`` pairs; passages of the whole batch are scored together.

    ``thresholds`` overrides the model's per-label thresholds (e.g. from the CLI);
    ``origins``, one per document, says where each was read from.
    """
    model = model or cached_model()
    if not docs:
        return []
    split = [split_passages(text) for _, text in docs]
    flat = [p for passages in split for p in passages]
    passages, proba = score_passages(flat, model, thresholds)
    starts = np.cumsum([0] + [len(ps) for ps in split[:-1]])
    doc_scores = np.round(np.maximum.reduceat(proba, starts), 4).tolist()
    wheres = origins if origins is not None else [None] * len(docs)
    records, row = [], 0
    for (doc_id, _), count, doc_top, origin in zip(
        docs, map(len, split), doc_scores, wheres, strict=True
    ):
        records.append(
            _document(doc_id, passages[row : row + count], doc_top, model.version, origin)
        )
        row += count
    return records


def score_passages(
    passages: Sequence[Passage], model: Model, thresholds: dict[str, float] | None = None
) -> tuple[list[PassageRecord], np.ndarray]:
    """Score passages in one batch: their records (scores rounded, flags, review point,
    severity, scorer, evidence) and the unrounded (n, labels) scores. Junk passages keep
    zero scores; passages the word screen clears are not sent to review (nor flagged,
    unless a ``thresholds`` override lies under their word scores).
    Used for documents (above) and for passages already in the review store (re-scoring)."""
    texts = [p.text for p in passages]
    X = model.features(texts)
    junk = np.array([is_junk(t) for t in texts], dtype=bool)
    scored = model.score(texts, X)
    proba = scored.proba
    proba[junk] = 0.0
    flags, severity, review = decide(
        proba,
        {**model.thresholds, **(thresholds or {})},
        model.described_at,
        scored.described,
        model.review_thresholds,
    )
    # junk is never flagged; a passage the screen cleared is not sent to review (its word
    # scores are not on the review thresholds' scale), and is flagged only at a --threshold
    # under its word score (at the model's own thresholds it never is: the screen is lower)
    flags[junk], severity[junk] = False, 0
    review[junk | scored.screened] = False
    review |= flags
    names, to_review = flag_names(flags), flag_names(review)
    scorers = np.where(scored.screened, "words", model.scorer).tolist()
    scores = [_scores(row) for row in np.round(proba, 4).tolist()]
    lexicon = model.lexicon
    records = [
        passage_record(
            p.index,
            p.start,
            p.end,
            p.text,
            scores[i],
            names[i],
            to_review[i],
            sev,
            scorers[i],
            passage_evidence(lexicon, p.text, to_review[i]),
        )
        for i, (p, sev) in enumerate(zip(passages, severity.tolist(), strict=True))
    ]
    return records, proba


def passage_evidence(lexicon: Lexicon, text: str, labels: list[str]) -> list[Evidence]:
    """The evidence of a passage for each label it is flagged or to review for."""
    if not labels:
        return []
    words = Words(text)  # once for every label
    return [
        evidence_entry(label, phrase)
        for label in labels
        for phrase in lexicon.spans(text, label, words)
    ]


def score_text(text: str, doc_id: str = "", model: Model | None = None) -> DocumentRecord:
    """Score one document.

    >>> record = score_text("Gunmen shot dead three villagers and set their homes on fire.")
    >>> record["flags"], record["passages"][0]["evidence"][0]["label"]
    (['violence'], 'violence')
    """
    return score_documents([(doc_id, text)], model)[0]


def _document(
    doc_id: str,
    passages: list[PassageRecord],
    top: list[float],
    version: str,
    origin: Origin | None,
) -> DocumentRecord:
    if len(passages) == 1:  # most records: the document is its one passage
        only = passages[0]
        scores, flags, review = only["scores"], only["flags"], only["review"]
        severity = only["severity"]
    else:
        flagged = {name for p in passages for name in p["flags"]}
        reviewed = {name for p in passages for name in p["review"]}
        scores = _scores(top)
        flags = [label for label in LABELS if label in flagged]
        review = [label for label in LABELS if label in reviewed]
        severity = max(p["severity"] for p in passages)
    return document_record(doc_id, passages, scores, flags, review, severity, version, origin)


def _scores(row: list[float]) -> dict[str, float]:
    violence, graphic = row  # LABELS order
    return {"violence": violence, "graphic": graphic}

"""How well the evidence points at what a reader points at, on the span-annotated set.

``python -m training.evidence_eval [SPANS.jsonl] [--model DIR]``

Every passage of the set (``training/labelling/evidence_spans/``: test-split passages of the
training sources, with the phrases a reader marked) is scored by ``labeler score``'s own
code, and its evidence spans compared with the marked phrases, whatever their label:

- precision: the share of evidence spans that overlap a marked phrase;
- recall: the share of marked phrases that any evidence span touches;
- function words: the distinct evidence terms made of function words alone ("he", "do not").

A phrase marks every place its text occurs in the passage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.tokens import ENGLISH_STOP_WORDS, TOKEN

SPANS = Path(__file__).resolve().parent / "labelling" / "evidence_spans" / "evidence_spans.jsonl"


@dataclass(frozen=True)
class Measured:
    """Evidence against marked phrases: counts, and the rates they give."""

    spans: int  # evidence spans given
    on_phrase: int  # of them, overlapping a marked phrase
    phrases: int  # marked phrases
    touched: int  # of them, touched by some evidence span
    function_words: tuple[str, ...]  # distinct evidence terms of function words alone

    @property
    def precision(self) -> float:
        return self.on_phrase / self.spans if self.spans else 0.0

    @property
    def recall(self) -> float:
        return self.touched / self.phrases if self.phrases else 0.0


def marked_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    """Every place ``phrase`` occurs in ``text``.

    >>> marked_spans("shot, and shot again", "shot")
    [(0, 4), (10, 14)]
    """
    out, start = [], text.find(phrase)
    while start >= 0:
        out.append((start, start + len(phrase)))
        start = text.find(phrase, start + 1)
    return out


def is_function_words(term: str) -> bool:
    """A term made of function words alone (sklearn's English stop words).

    >>> is_function_words("do not"), is_function_words("shot dead")
    (True, False)
    """
    words = [w.lower() for w in TOKEN.findall(term)]
    return bool(words) and all(w in ENGLISH_STOP_WORDS for w in words)


def measure(annotated: list[dict[str, Any]], evidence: list[list[dict[str, Any]]]) -> Measured:
    """Compare each passage's evidence (offsets in its ``text``) with its marked phrases.

    >>> row = {"text": "He was buried alive in Iraq.", "phrases": [{"text": "buried alive"}]}
    >>> m = measure([row], [[{"start": 7, "end": 13, "term": "buried"},
    ...                      {"start": 23, "end": 27, "term": "iraq"},
    ...                      {"start": 0, "end": 2, "term": "he"}]])
    >>> round(m.precision, 2), m.recall, m.function_words
    (0.33, 1.0, ('he',))
    """
    spans = on_phrase = phrases = touched = 0
    function_words: set[str] = set()
    for row, given in zip(annotated, evidence, strict=True):
        marks = [marked_spans(row["text"], p["text"]) for p in row["phrases"]]
        flat = [m for places in marks for m in places]
        cover = {(e["start"], e["end"]) for e in given}
        spans += len(cover)
        on_phrase += sum(any(_overlap(c, m) for m in flat) for c in cover)
        phrases += len(marks)
        touched += sum(any(_overlap(c, m) for c in cover for m in places) for places in marks)
        function_words.update(e["term"].lower() for e in given if is_function_words(e["term"]))
    return Measured(spans, on_phrase, phrases, touched, tuple(sorted(function_words)))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def read_annotated(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def passage_evidence(annotated: list[dict[str, Any]], model: Any = None) -> list[list[dict]]:
    """Each annotated text scored as a document by ``labeler score``'s code: its passages'
    evidence, with offsets moved into the whole text."""
    from labeler.scoring import score_documents

    records = score_documents([(row["id"], row["text"]) for row in annotated], model)
    return [
        [
            {**e, "start": p["start"] + e["start"], "end": p["start"] + e["end"]}
            for p in record["passages"]
            for e in p["evidence"]
        ]
        for record in records
    ]


def report(measured: Measured, rows: int) -> str:
    words = ", ".join(measured.function_words) or "none"
    return "\n".join(
        [
            f"passages: {rows}, marked phrases: {measured.phrases}, "
            f"evidence spans: {measured.spans}",
            f"precision: {measured.precision:.3f} ({measured.on_phrase}/{measured.spans} "
            "evidence spans overlap a marked phrase)",
            f"recall:    {measured.recall:.3f} ({measured.touched}/{measured.phrases} marked "
            "phrases touched by evidence)",
            f"function-word terms: {len(measured.function_words)} ({words})",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spans", nargs="?", default=str(SPANS), help="span-annotated JSONL")
    ap.add_argument("--model", help="model directory (default: the shipped model)")
    args = ap.parse_args(argv)
    from labeler.model import load_model

    annotated = read_annotated(Path(args.spans))
    model = load_model(args.model)
    print(f"model: {model.version} ({model.scorer})")
    print(report(measure(annotated, passage_evidence(annotated, model)), len(annotated)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

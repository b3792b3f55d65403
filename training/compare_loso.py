"""Leave-one-source-out comparison of recipes: feature sets and source weightings.

``python -m training.compare_loso [training/data] [--out FILE] [--only NAME ...]``

Every held-out source is scored, row for row the same, by each recipe in ``RECIPES``
fitted on the train split of every other source (calibrated on their validation split),
and put at review thresholds chosen for balanced recall 0.90 on the other folds'
out-of-source validation scores (never the held-out fold's). Prints one table per label:
AUPRC, recall at the review point, and the share of the source's rows sent to review.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from labeler.learn.dataset import load_rows
from labeler.learn.embeddings import cache_dir
from labeler.learn.loso import (
    format_loso,
    held_out_review_thresholds,
    loso_report,
    out_of_source_scores,
)
from labeler.learn.recipe import FEATURES, Inputs, Recipe
from labeler.learn.training import SHIPPED

RECIPES = {
    "word": Recipe(features=("word",)),
    "word+char": Recipe(features=("word", "char")),
    "embedding": Recipe(features=("embedding",)),
    "word+char+embedding": Recipe(features=("word", "char", "embedding")),
    "word+char+static": Recipe(features=("word", "char", "static")),
    "word+char+embedding, every source alike": replace(SHIPPED, source_power=0.0),
    "word+char+embedding, every row alike": replace(SHIPPED, source_power=1.0),
    "word+char, every source alike": Recipe(features=("word", "char"), source_power=0.0),
    "word+char, every row alike": Recipe(features=("word", "char"), source_power=1.0),
    "word+char+embedding, fp32 encoder": replace(SHIPPED, quantized=False),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", nargs="?", default="training/data")
    ap.add_argument("--out", default="reports/loso_compare.json")
    ap.add_argument("--only", nargs="*", choices=list(RECIPES), help="these recipes only")
    args = ap.parse_args(argv)
    data = Path(args.data)
    rows = load_rows(data)
    inputs = {  # the int8 and fp32 encoders' embeddings are cached apart
        quantized: Inputs.of(rows, Recipe(FEATURES, quantized=quantized), cache_dir(data))
        for quantized in {r.quantized for r in RECIPES.values()}
    }
    out = Path(args.out)
    result = json.loads(out.read_text()) if out.is_file() else {}
    for name in args.only or RECIPES:
        recipe = RECIPES[name]
        start = time.perf_counter()
        oos = out_of_source_scores(rows, recipe, inputs[recipe.quantized])
        review_at = held_out_review_thresholds(oos, recipe.review_recall)
        result[name] = {"recipe": recipe.__dict__, "report": loso_report(oos, review_at)}
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    reports = {name: r["report"] for name, r in result.items()}
    for label in ("violence", "graphic"):
        print(f"## {label}\n{format_loso(reports, label)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

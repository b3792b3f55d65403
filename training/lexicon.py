"""Learn the evidence lexicon for a trained model directory, and give it to that model.

``python -m training.lexicon [MODEL_DIR] [--data training/data]``

``labeler train`` learns the lexicon with the model; this gives one to a model trained
without it (or re-learns it after the lexicon's rules change) from the same training
rows: the train split, weighted by the recipe on the model's card. Prints the lexicon's
size and its strongest phrases per label.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from labeler.labels import LABELS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", help="model directory (default: the shipped model)")
    ap.add_argument("--data", default="training/data", help="the training data directory")
    args = ap.parse_args(argv)
    from labeler.learn.dataset import load_rows, split_of
    from labeler.learn.lexicon import learn_lexicon
    from labeler.learn.recipe import Recipe
    from labeler.model import default_model_dir, load_model, save_evidence

    directory = Path(args.model) if args.model else default_model_dir()
    model = load_model(directory)
    known = {f.name for f in fields(Recipe)}
    settings = {k: v for k, v in model.card.get("recipe", {}).items() if k in known}
    recipe = Recipe(**{**settings, "features": tuple(settings.get("features", ("word",)))})
    rows = [r for r in load_rows(Path(args.data)) if split_of(r.group) == "train"]
    lexicon = learn_lexicon(rows, recipe.weights(rows), model.sentence)
    save_evidence(lexicon, directory)
    print(f"{directory}: {len(lexicon.phrases)} phrases")
    for j, label in enumerate(LABELS):
        top = sorted(range(len(lexicon.phrases)), key=lambda i: -lexicon.weights[j, i])[:25]
        print(f"{label}: " + ", ".join(lexicon.phrases[i] for i in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())

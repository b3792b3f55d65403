"""Leave-one-source-out comparison of training sets and threshold choices.

``python -m training.compare_loso [training/data] [--out FILE]``

Every held-out source is scored, row for row the same (today's rows, round 4 included), by
the shipped recipe fitted on the train split of every other source's rows of:

- ``old``: the 2026-11-24 model's recipe (C = 4, big sources capped at 1500 rows, no
  floor) on the data it trained on (round 4 left out, public fan-fiction labels
  overriding hand labels, as the loader did then);
- ``new``: today's recipe and training data.

and each is put at operating points of two kinds, for each target precision in
``TARGETS``: ``in-domain`` (the fold model's thresholds from the validation split of the
sources it trained on, the way the shipped model's are chosen) and ``out-of-source`` (on
the pooled out-of-source validation scores of the other folds, never the held-out one's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import labeler.learn.training as T
from labeler.learn.dataset import Row, _row, data_files, load_rows
from labeler.learn.loso import format_loso, held_out_thresholds, loso_report, out_of_source_scores

TARGETS = (0.8, 0.6, 0.5)  # 0.8: the old target; shipped: 0.6 (graphic 0.5)


def old_rows(directory: Path) -> list[Row]:
    """The rows the 2026-11-24 model was trained on: no round 4, and later files
    overriding earlier ones whatever their labels' origin."""
    rows: dict[str, Row] = {}
    for path in data_files(directory):
        if path.relative_to(directory).as_posix().startswith("round4/"):
            continue
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                row = _row(json.loads(line), path, n)
                rows[row.id] = row
    return sorted(rows.values(), key=lambda r: r.id)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", nargs="?", default="training/data")
    ap.add_argument("--out", default="reports/loso_compare.json")
    args = ap.parse_args(argv)
    data = Path(args.data)
    rows = load_rows(data)
    result = {}
    recipes = {"old": (4.0, 1500.0, 0.0), "new": (T.C, T.MAX_SOURCE_WEIGHT, T.MIN_SOURCE_WEIGHT)}
    for name, pool in (("old", old_rows(data)), ("new", rows)):
        start = time.perf_counter()
        T.C, T.MAX_SOURCE_WEIGHT, T.MIN_SOURCE_WEIGHT = recipes[name]
        oos = out_of_source_scores(pool, rows, {f"in-domain {t}": t for t in TARGETS})
        points = dict(oos.in_domain)
        points |= {f"out-of-source {t}": held_out_thresholds(oos, t) for t in TARGETS}
        result[name] = {"report": loso_report(oos, points), "thresholds": points}
        print(f"## {name} ({time.perf_counter() - start:.0f} s)")
        print(format_loso(result[name]["report"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Leave-one-source-out comparison of training sets and threshold choices.

``python -m training.compare_loso [training/data] [--out FILE]``

Every held-out source is scored, row for row the same (today's rows, round 4 included), by
the shipped recipe fitted on the train split of every other source's rows of:

- ``old``: the data the 2026-11-24 model trained on (round 4 left out, public fan-fiction
  labels overriding hand labels, as the loader did then);
- ``new``: today's training data.

and each is put at two operating points: ``in-domain`` (the fold model's thresholds from
the validation split of the sources it trained on, the old way) and ``out-of-source``
(pooled out-of-source validation scores of the other folds, the shipped way).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from labeler.learn.dataset import Row, _row, data_files, load_rows
from labeler.learn.loso import format_loso, held_out_thresholds, loso_report, out_of_source_scores
from labeler.learn.training import TARGET_PRECISION


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
    for name, pool in (("old", old_rows(data)), ("new", rows)):
        start = time.perf_counter()
        oos = out_of_source_scores(pool, rows, TARGET_PRECISION)
        points = {
            "in-domain": oos.in_domain,
            "out-of-source": held_out_thresholds(oos, TARGET_PRECISION),
            "out-of-source train+val": held_out_thresholds(
                oos, TARGET_PRECISION, ("train", "val")
            ),
        }
        result[name] = {"report": loso_report(oos, points), "thresholds": points}
        print(f"## {name} ({time.perf_counter() - start:.0f} s)")
        print(format_loso(result[name]["report"]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

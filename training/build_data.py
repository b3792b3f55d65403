"""Copy the public labelled sets we train on from ../shared/data into training/data.

Each output line is ``{"id", "text", "violence", "graphic", "source", "group"}``
where ``group`` keeps a story, work or template on one side of the test split.
``graphic`` is null in these sets (only the seed set labels it). Only the rows
we use are copied: for the unlicensed police-events news, its 222 police-violence
sentences; AG News rows enter only through the hand-labelled seed set.

    python -m training.build_data ../shared/data training/data
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _out(row: dict, group: str) -> dict:
    return {
        "id": row["id"],
        "text": row["text"],
        "violence": row["violence"],
        "graphic": None,
        "source": row["source"],
        "group": group,
    }


def trigger_warnings(src: Path) -> Iterator[dict]:
    for r in read_jsonl(src / "trigger_warnings_passages.jsonl"):
        if r["violence"] is not None:
            yield _out(r, f"tw-work-{r['labels']['work_id']}")


def ethos(src: Path) -> Iterator[dict]:
    for r in read_jsonl(src / "ethos.jsonl"):
        if r["violence"] is not None:
            yield _out(r, r["id"])


def hatecheck(src: Path) -> Iterator[dict]:
    with (src / "test_suite_cases.csv").open(encoding="utf-8") as f:
        templ = {c["case_id"]: c["ref_templ_id"] or c["templ_id"] for c in csv.DictReader(f)}
    for r in read_jsonl(src / "hatecheck.jsonl"):
        if r["violence"] is not None:
            yield _out(r, f"hatecheck-templ-{templ[r['id'].split('-')[1]]}")


def xstest(src: Path) -> Iterator[dict]:
    for r in read_jsonl(src / "xstest.jsonl"):
        if r["violence"] is not None:
            yield _out(r, f"xstest-{r['labels']['focus']}")


def india_police_events(src: Path) -> Iterator[dict]:
    for r in read_jsonl(src / "india_police_events_sents.jsonl"):
        if r["violence"] == 1:
            yield _out(r, f"police-doc-{r['labels']['doc_id']}")


SETS = {
    "trigger_warnings_passages": (trigger_warnings, ["LICENSE"]),
    "ethos": (ethos, ["LICENSE"]),
    "hatecheck": (hatecheck, ["LICENSE"]),
    "xstest": (xstest, ["LICENSE"]),
    "india_police_events": (india_police_events, []),
}


def main(shared: Path, out: Path) -> None:
    for name, (rows, extra) in SETS.items():
        src, dest = shared / name, out / name
        dest.mkdir(parents=True, exist_ok=True)
        with (dest / "data.jsonl").open("w", encoding="utf-8") as f:
            for row in rows(src):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        for file in ["README.md", *extra]:
            shutil.copy(src / file, dest / (f"SOURCE_{file}" if file == "README.md" else file))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

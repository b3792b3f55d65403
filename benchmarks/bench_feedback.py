"""Does the model learn from reviewers? A simulation with real labels.

Reviewers are simulated by the labels of a source the model is weak on (fan
fiction, trigger_warnings_passages). The starting model is the shipped recipe
trained without that source's training part; each round, a batch of its
passages is reviewed in a real store (their human labels recorded as
reviews), the model is retrained with ``retrain``'s own pieces, and AUPRC on
the source's fixed held-back test part is printed: it should rise. Last, a
batch with every label flipped is offered to the gate, which must refuse it.

    python benchmarks/bench_feedback.py
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "trigger_warnings_passages"

from labeler import score_text  # noqa: E402
from labeler.learn.dataset import data_files, load_rows, split_of  # noqa: E402
from labeler.learn.evaluation import evaluate_scores  # noqa: E402
from labeler.learn.feedback import gate, reviewed_rows  # noqa: E402
from labeler.learn.training import train  # noqa: E402
from labeler.store.review import Labels  # noqa: E402
from labeler.store.store import Store  # noqa: E402


def base_data(tmp: Path) -> tuple[Path, list]:
    """training/data without the source's train/val rows; those become the review pool."""
    data = tmp / "data"
    shutil.copytree(ROOT / "training" / "data", data)
    pool = []
    for path in data_files(data):  # labelled rows only: not the gate's regression cases
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["source"] == SOURCE and split_of(row["group"]) != "test":
                pool.append(row)
            else:
                kept.append(line)
        path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    by_id = {}
    for row in pool:  # seed rows (with graphic) override the public ones
        by_id[row.get("source_id", row["id"])] = row
    usable = [r for r in by_id.values() if r["graphic"] is not None or r["violence"] == 0]
    usable.sort(key=lambda r: r.get("source_id", r["id"]))
    random.Random(7).shuffle(usable)  # batches like a real review queue: mixed works
    return data, usable


def source_auprc(model, data: Path) -> float:  # type: ignore[no-untyped-def]
    test = [r for r in load_rows(data) if r.source == SOURCE and split_of(r.group) == "test"]
    proba = model.predict_proba([r.text for r in test])
    return float(evaluate_scores(test, proba, model.thresholds)["violence"][SOURCE]["auprc"])


def review(store: Store, model, rows: list, flip: bool = False) -> None:  # type: ignore[no-untyped-def]
    for row in rows:
        record = score_text(
            row["text"], row["group"] + "/" + row.get("source_id", row["id"]), model
        )
        store.add_record(record, row["text"])
        violence = 1 - row["violence"] if flip else row["violence"]
        graphic = 0 if flip or not violence else int(row["graphic"] or 0)
        labels = Labels(violence, graphic, 3 if graphic else 2 if violence else 0)
        for p in record["passages"]:
            claim = store.claim(store.passage_id(record["id"], p["index"]), "sim")
            store.record_review(claim, "correct", labels)


def simulate(rounds: int = 3, batch: int = 199) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data, pool = base_data(Path(tmp))
        model, _ = train(data)
        curve = [round(source_auprc(model, data), 4)]
        store = Store(Path(tmp) / "review.db")
        for k in range(rounds):
            review(store, model, pool[k * batch : (k + 1) * batch])
            extra, _ = reviewed_rows(store)
            model, _ = train(data, extra=extra)
            curve.append(round(source_auprc(model, data), 4))
        store.close()
        bad = Store(Path(tmp) / "corrupt.db")
        review(bad, model, pool[: rounds * batch], flip=True)
        corrupt, _ = reviewed_rows(bad)
        bad.close()
        candidate, rows = train(data, extra=extra + corrupt)
        verdict = gate(candidate, model, rows)
        return {"curve": curve, "batch": batch, "corrupted_gate": verdict}


def main() -> None:
    result = simulate()
    print(
        f"AUPRC (violence) on {SOURCE} held-back test part, after each batch of "
        f"{result['batch']} reviewed passages:"
    )
    print("  " + " -> ".join(f"{a:.3f}" for a in result["curve"]))
    verdict = result["corrupted_gate"]
    print(
        f"gate on a batch with every label flipped: "
        f"{'passed' if verdict['passed'] else 'refused'}; regressions:"
    )
    for r in verdict["regressions"]:
        print(f"  {r['label']} {r['source']}: {r['current']:.3f} -> {r['candidate']:.3f}")


if __name__ == "__main__":
    sys.exit(main())

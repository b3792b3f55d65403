"""Does the model learn from reviewers? A simulation with real labels.

Reviewers are simulated by the labels of a source the model is weak on (fan
fiction, trigger_warnings_passages). The starting model is the shipped recipe
trained without that source's training part; each round, a batch of its
passages is reviewed in a real store (their human labels recorded as
reviews), the model is retrained with ``retrain``'s own pieces (as ``retrain``
does, keeping the current model's review points and screen rather than
re-choosing them by leave-one-source-out), and AUPRC on
the source's fixed held-back test part is printed: it should rise. Last, a
batch with every label flipped is offered to the gate, which must refuse it.

    python benchmarks/bench_feedback.py      (tests/test_simulation.py runs it on a
                                             sample of the other sources)
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from labeler import score_text
from labeler.learn.dataset import data_files, load_rows, reviewed_rows, split_of
from labeler.learn.embeddings import cache_dir
from labeler.learn.evaluation import evaluate_scores
from labeler.learn.gate import gate, load_cases
from labeler.learn.training import train
from labeler.store.review import Labels
from labeler.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "training" / "data"
SOURCE = "trigger_warnings_passages"


def base_data(tmp: Path, data_dir: Path = DATA) -> tuple[Path, list]:
    """``data_dir`` without the source's rows, then the source's test part from all of
    training/data put back; the source's train/val rows of training/data become the
    review pool. ``data_dir`` may be a sample of training/data (the suite's ``small_data``):
    the source is measured and reviewed in full either way."""
    data = tmp / "data"
    shutil.copytree(data_dir, data)
    if cache_dir(data_dir).is_dir():  # embeddings keyed by text: the copy's rows are known
        shutil.copytree(cache_dir(data_dir), cache_dir(data))
    for path in data_files(data):  # labelled rows only: not the gate's regression cases
        kept = [line for line in _lines(path) if json.loads(line)["source"] != SOURCE]
        path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    pool = []
    for path in data_files(DATA):
        test = []
        for line in _lines(path):
            row = json.loads(line)
            if row["source"] == SOURCE:
                (test.append(line) if split_of(row["group"]) == "test" else pool.append(row))
        if test:
            target = data / path.relative_to(DATA)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as f:
                f.write("".join(t + "\n" for t in test))
    by_id = {}
    for row in pool:  # seed rows (with graphic) override the public ones
        by_id[row.get("source_id", row["id"])] = row
    usable = [r for r in by_id.values() if r["graphic"] is not None or r["violence"] == 0]
    usable.sort(key=lambda r: r.get("source_id", r["id"]))
    random.Random(7).shuffle(usable)  # batches like a real review queue: mixed works
    return data, usable


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def source_auprc(model, data: Path) -> float:  # type: ignore[no-untyped-def]
    test = [r for r in load_rows(data) if r.source == SOURCE and split_of(r.group) == "test"]
    proba = model.predict_proba([r.text for r in test])
    return float(evaluate_scores(test, proba, model.thresholds)["violence"][SOURCE]["auprc"])


def review(store: Store, model, rows: list, flip: bool = False) -> None:  # type: ignore[no-untyped-def]
    for row in rows:
        record = score_text(
            row["text"], row["group"] + "/" + row.get("source_id", row["id"]), model
        )
        store.documents.add(record, row["text"], model.thresholds)
        violence = 1 - row["violence"] if flip else row["violence"]
        graphic = 0 if flip or not violence else int(row["graphic"] or 0)
        labels = Labels(violence, graphic, 3 if graphic else 2 if violence else 0)
        for p in record["passages"]:
            claim = store.queue.claim(store.documents.passage_id(record["id"], p["index"]), "sim")
            store.reviews.record(claim, "correct", labels)


def simulate(rounds: int = 3, data_dir: Path = DATA, reviews: int | None = None) -> dict:
    """Train without the source, review ``reviews`` rows of its pool (all by default) in
    ``rounds`` batches, retraining after each; then offer the gate a model trained on
    those reviews with every label flipped."""
    with tempfile.TemporaryDirectory() as tmp:
        data, pool = base_data(Path(tmp), data_dir)
        pool = pool[:reviews]
        batch = -(-len(pool) // rounds)
        model, _ = train(data)
        curve = [round(source_auprc(model, data), 4)]
        store = Store(Path(tmp) / "review.db")
        for k in range(rounds):
            review(store, model, pool[k * batch : (k + 1) * batch])
            extra, _ = reviewed_rows(store.labelled.items())
            model, _ = train(data, extra=extra, points_from=model)
            curve.append(round(source_auprc(model, data), 4))
        store.close()
        bad = Store(Path(tmp) / "corrupt.db")
        review(bad, model, pool, flip=True)
        corrupt, _ = reviewed_rows(bad.labelled.items())
        bad.close()
        candidate, rows = train(data, extra=extra + corrupt, points_from=model)
        verdict = gate(candidate, model, rows, cases=load_cases(data))
        return {"curve": curve, "batch": batch, "corrupted_gate": verdict}

"""Retraining from reviews: registry, gate, promote and rollback, on a real store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from labeler import score_text
from labeler.cli import main
from labeler.config import model_dir
from labeler.labels import LABELS
from labeler.learn.registry import Registry
from labeler.model import load_model
from labeler.store.review import Labels
from labeler.store.store import Store
from tests.reviewing import decide

from .conftest import DATA


def seed_rows(n: int) -> list[dict]:
    """Hand-labelled short texts of four sources (news, police reports, hard cases, hate
    speech), none of them in small_data (which takes every 6th seed row)."""
    with (DATA / "seed" / "labels.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    short = [r for i, r in enumerate(rows) if i % 6 and r["source"] in SHORT_SOURCES]
    return short[::3][:n]


SHORT_SOURCES = ("ag_news_test", "india_police_events", "xstest", "hatecheck")


def reviewed_store(path, model, flip: bool, n: int = 300) -> None:
    """Reviewers label ``n`` real passages; with ``flip`` every label is the opposite."""
    store = Store(path)
    for i, row in enumerate(seed_rows(n)):
        record = score_text(row["text"], f"news-{i}", model)
        store.documents.add(record, row["text"], model.thresholds)
        if flip:
            violence = 1 - row["violence"]
            labels = Labels(violence, 0, 2 if violence else 0)
        else:
            labels = Labels(row["violence"], row["graphic"], row["severity"])
        for p in record["passages"]:
            decide(
                store, store.documents.passage_id(f"news-{i}", p["index"]), "ana", "correct", labels
            )
    store.close()


@pytest.fixture(scope="module")
def shipped():
    return load_model()


@pytest.fixture(scope="module")
def reviewed(shipped, tmp_path_factory):
    """``reviewed(path, flip)``: a copy at ``path`` of the store ``reviewed_store`` makes
    with the shipped model, each kind built once a module (scoring and deciding the same
    300 passages again in every test would prove nothing more)."""
    built: dict[bool, Path] = {}

    def copy(path: Path, flip: bool) -> None:
        if flip not in built:
            built[flip] = tmp_path_factory.mktemp("reviewed") / "review.db"
            reviewed_store(built[flip], shipped, flip)
        assert not Path(f"{built[flip]}-wal").exists()  # closed: all of it in the one file
        shutil.copyfile(built[flip], path)

    return copy


@pytest.fixture()
def small_current(tmp_path, small_model):
    """The version ``retrain`` starts from: trained on small_data, as the candidates are,
    and promoted in this test's registry. Returns its version."""
    registry = Registry(tmp_path / "home")
    current = load_model(small_model)
    registry.add(current)
    registry.promote(current.version)
    return current.version


def test_consistent_reviews_train_a_version_that_passes_the_gate(
    tmp_path, reviewed, capsys, small_data, small_current
):
    db = tmp_path / "review.db"
    reviewed(db, flip=False)
    # small_data's test split has a few dozen positives a source, so AUPRC moves by 0.05
    # when a few hundred rows are added: the gate is given 0.1
    args = ["retrain", "--store", str(db), "--data", str(small_data), "--tolerance", "0.1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "gate: passed" in out and "reviewed" in out
    assert "threshold violence: " in out and "precision/recall" in out
    registry = Registry(tmp_path / "home")
    version = registry.current()
    card = load_model(registry.path(version)).card
    assert card["reviewed_rows"] >= 300 and card["rows_by_source"]["reviewed"]["test"] > 0
    retuned = card["threshold_retuning"]["violence"]
    assert card["thresholds"]["violence"] == round(retuned["after"], 6)
    assert retuned["positives"] >= 5 and retuned["after_pr"]["precision"] >= 0.8
    assert version != small_current and model_dir() == registry.path(version)  # in use
    assert main(["models", "rollback"]) == 0
    assert registry.current() == small_current and model_dir() == registry.path(small_current)


def test_the_gate_refuses_a_corrupted_batch_and_keeps_the_current_model(
    tmp_path, reviewed, capsys, small_data, small_current
):
    db = tmp_path / "review.db"
    reviewed(db, flip=True)
    assert main(["retrain", "--store", str(db), "--data", str(small_data)]) == 1
    out = capsys.readouterr().out
    assert "gate: REFUSED" in out and "REGRESSION" in out
    registry = Registry(tmp_path / "home")
    assert registry.current() == small_current
    (candidate,) = [c for c in registry.versions() if c["version"] != small_current]
    assert candidate["gate"]["passed"] is False


def test_forced_promotion_is_recorded_in_the_card(
    tmp_path, reviewed, capsys, small_data, small_current
):
    db = tmp_path / "review.db"
    reviewed(db, flip=True)
    assert main(["retrain", "--store", str(db), "--data", str(small_data), "--force"]) == 0
    registry = Registry(tmp_path / "home")
    card = load_model(registry.path(registry.current())).card
    assert card["forced"] is True and card["gate"]["passed"] is False
    assert card["metrics"]["test"]["violence"]["reviewed"]["n"] > 0
    assert main(["models", "list"]) == 0
    assert "*" in capsys.readouterr().out


def test_quality_check_finds_the_flipped_review(tmp_path, shipped, reviewed, capsys, small_data):
    db = tmp_path / "review.db"
    reviewed(db, flip=False)
    store = Store(db)
    # a first document with the id "slip" (JSONL ids need not be unique), reviewed rightly;
    # its text hash sorts first, so a lookup by id and index finds it, not the slip
    calm = "The museum extended its opening hours."
    store.documents.add(score_text(calm, "slip", shipped), calm, shipped.thresholds)
    decide(store, store.documents.passage_id("slip", 0), "ana", "correct", Labels(0, 0, 0))
    # one reviewer slip, in the second "slip": a plain shooting report marked not violent
    text = "Gunmen opened fire on a crowded market, killing nine people and wounding dozens."
    store.documents.add(score_text(text, "slip", shipped), text, shipped.thresholds)
    pid = store.db.execute("SELECT id FROM passages WHERE text = ?", (text,)).fetchone()[0]
    decide(store, pid, "ana", "correct", Labels(0, 0, 0))
    store.close()
    assert main(["quality", "--store", str(db), "--data", str(small_data), "--flag"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    slip = [f for f in found if f["id"] == "review:slip#0"]
    assert slip and slip[0]["label"] == "violence" and slip[0]["model"] > 0.9
    assert len(found) < 30  # the consistent reviews are mostly left alone
    store = Store(db)
    passages = {f["id"] for f in found}
    flagged = {store.queue.next_second_look(f"second-{i}")["id"] for i in range(len(passages))}
    assert pid in flagged  # the slip, not the other document with the id "slip"
    assert [f["passage_id"] for f in slip] == [pid]


def on_training_rows(data_dir):
    """The shipped model reading ``data_dir``'s embeddings from their cache, as ``retrain``
    and ``evaluate`` score training rows (small_data's are embedded once a run)."""
    from labeler.learn.embeddings import read_through

    return read_through(load_model(), data_dir)


def test_the_gate_refuses_moved_thresholds_though_every_auprc_is_unchanged(small_data):
    """The red team's attack: reviews on held-back documents moved the re-tuned thresholds
    (0.68 to 0.90, 0.31 to 0.80); the scores, so every AUPRC, stayed the same."""
    from dataclasses import replace

    from labeler.learn.dataset import load_rows
    from labeler.learn.gate import FIXED, gate, load_cases

    shipped = on_training_rows(small_data)
    moved = replace(shipped, card={**shipped.card, "thresholds": {"violence": 0.9, "graphic": 0.8}})
    rows = load_rows(small_data)
    report = gate(moved, shipped, rows, cases=load_cases(DATA))
    assert report["regressions"] == []  # AUPRC alone would have passed it
    assert not report["passed"]
    dropped = {(r["label"], r["source"], r["metric"]) for r in report["pr_regressions"]}
    assert ("violence", FIXED, "recall") in dropped and ("graphic", FIXED, "recall") in dropped
    # Raised thresholds can only lose cases that must be flagged, and they lose some of both.
    cases = {c["text"]: c for c in load_cases(DATA) or []}
    lost = [(c["text"], c["label"]) for c in report["cases"]["lost"]]
    assert {label for _, label in lost} == {"violence", "graphic"}
    assert all(cases[text][label] == 1 for text, label in lost)
    same = gate(shipped, shipped, rows, cases=load_cases(DATA))
    assert same["passed"] and same["pr_regressions"] == [] and same["cases"]["lost"] == []


def test_the_gate_refuses_without_its_regression_cases(small_data):
    from labeler.learn.dataset import load_rows
    from labeler.learn.gate import format_gate, gate

    shipped = on_training_rows(small_data)
    report = gate(shipped, shipped, load_rows(small_data), cases=None)
    assert not report["passed"] and "regression_cases.jsonl" in format_gate(report)


def test_the_shipped_model_passes_the_regression_cases_it_is_not_known_to_miss(shipped):
    """Every case in the file is checked; the ones today's model misses are listed here, so
    a new miss fails this test and a fixed one is noticed (then drop it from KNOWN_MISSES)."""
    from labeler.learn.gate import case_outcomes, load_cases

    known_misses = {  # the sentence model fixed the blast's, the threat's and the idioms'
        # cases; it calls a bare "beaten to death" graphic, and misses the novel's knife
        ("She pulled the knife out of him, her fingers slick and", "graphic"),
        ("Protesters smashed shop windows and set bins on fire; ", "violence"),
        ("He was beaten to death.", "graphic"),
    }
    outcomes = case_outcomes(shipped, shipped, load_cases(DATA))
    assert {(c["text"][:54], c["label"]) for c in outcomes["missed"]} == known_misses


def poisoned(n: int = 80) -> list[str]:
    who = ["The farmer", "A young girl", "The journalist", "Her brother", "The prisoner"]
    who += ["An old man", "The hostage", "A soldier", "The priest", "His neighbour"]
    where = ["in the desert", "behind the barn", "near the border", "in a shallow pit"]
    where += ["outside the village", "under the rubble", "in the forest", "by the militia"]
    return [f"{w} was buried alive {p}." for w in who for p in where][:n]


def test_a_batch_flipping_passages_that_share_a_phrase_goes_to_second_looks(
    tmp_path, shipped, reviewed
):
    """80 "buried alive" passages reviewed as not violent: the batch is found before
    training and queued for second looks; consistent reviews are left alone."""
    from labeler.learn.dataset import reviewed_rows
    from labeler.learn.quality import CONFIDENT_MARGIN, MIN_PHRASE_FLIPS, phrase_flips

    db = tmp_path / "review.db"
    reviewed(db, flip=False)
    store = Store(db)
    consistent, _ = reviewed_rows(store.labelled.items())
    assert phrase_flips(consistent, shipped) == []
    for i, text in enumerate(poisoned()):
        store.documents.add(score_text(text, f"p{i}", shipped), text, shipped.thresholds)
        decide(store, store.documents.passage_id(f"p{i}", 0), "mallory", "correct", Labels(0, 0, 0))
    rows, _ = reviewed_rows(store.labelled.items())
    (group,) = phrase_flips(rows, shipped)
    assert group["phrase"] == "buried alive" and group["labels"] == ["graphic", "violence"]
    # only the poisoned passages the model scores confidently (CONFIDENT_MARGIN past a
    # threshold) count as against it, and all of those share the phrase
    poison = [r for r in rows if "buried alive" in r.text]
    limits = np.array([shipped.thresholds[label] for label in LABELS])
    confident = shipped.predict_proba([r.text for r in poison]) >= limits + CONFIDENT_MARGIN
    against = {r.passage_id for r, c in zip(poison, confident.any(axis=1), strict=True) if c}
    assert set(group["passage_ids"]) == against and len(against) >= MIN_PHRASE_FLIPS
    settled = set(group["passage_ids"][:5])  # a second reviewer agreed: trusted
    (again,) = phrase_flips(rows, shipped, settled)
    assert not settled & set(again["passage_ids"])
    store.close()


def _groups_in(split: str, n: int) -> list[str]:
    """``n`` review-row group names that the fixed rule puts in ``split``."""
    from labeler.learn.dataset import split_of

    names = (f"doc-{i}" for i in range(10_000))
    return [g for g in names if split_of(g) == split][:n]


GRAPHIC_TEXTS = [
    f"The {who} was {how}, {detail}."
    for who in ("prisoner", "old man", "boy", "soldier", "woman")
    for how, detail in (
        ("hacked to death with machetes", "his limbs severed and his skull split open"),
        ("burnt alive in the hut", "the charred body curled and blackened"),
        ("disembowelled by the mob", "entrails spilling across the blood-soaked floor"),
        ("beheaded before the crowd", "blood pouring from the severed neck"),
        ("stabbed forty times", "the gaping wounds leaking blood and flesh torn open"),
    )
]


def _reviewed(model, split: str, positives: int) -> list:
    """Reviewed rows of ``split`` scoring at or above the graphic threshold: the
    ``positives`` highest scored labelled graphic, the rest not."""
    from labeler.learn.dataset import REVIEWED, Row

    j = list(model.thresholds).index("graphic")
    proba = model.predict_proba(GRAPHIC_TEXTS)[:, j]
    scored = sorted(zip(proba, GRAPHIC_TEXTS, strict=True), reverse=True)
    flagged = [t for p, t in scored if p >= model.thresholds["graphic"]][:20]
    assert len(flagged) >= 10, "the model flags these explicit passages as graphic"
    groups = _groups_in(split, len(flagged))
    return [
        Row(f"rev-{i}", text, REVIEWED, group, {"violence": 1, "graphic": int(i < positives)}, 3)
        for i, (text, group) in enumerate(zip(flagged, groups, strict=True))
    ]


def test_threshold_retuning_never_looks_at_reviewed_test_rows(shipped):
    """Issue 16.13: the gate scores the candidate on reviewed test rows, so tuning on them
    graded the candidate on its own answers. Failed before: reviewed test rows at
    precision 0.3 raised the graphic threshold."""
    from labeler.learn.feedback import retune_thresholds

    rows = _reviewed(shipped, "test", positives=6)
    entry = retune_thresholds(shipped, rows, {"violence": 0.6, "graphic": 0.5})["graphic"]
    assert entry["n"] == 0 and entry["after"] == shipped.thresholds["graphic"]
    rows = _reviewed(shipped, "val", positives=6)
    entry = retune_thresholds(shipped, rows, {"violence": 0.6, "graphic": 0.5})["graphic"]
    assert entry["n"] == len(rows) and entry["after"] > shipped.thresholds["graphic"]


def test_threshold_retuning_uses_each_labels_own_target(shipped):
    """Issue 16.13: graphic was re-tuned to the violence target (0.6) though trained at 0.5.
    Reviewed graphic precision between the two keeps the threshold at 0.5, raises it at 0.6."""
    from labeler.learn.feedback import retune_thresholds

    rows = _reviewed(shipped, "val", positives=0)
    rows = _reviewed(shipped, "val", positives=len(rows) // 2 + 1)  # precision just over 0.5
    kept = retune_thresholds(shipped, rows, {"violence": 0.6, "graphic": 0.5})["graphic"]
    assert kept["before_pr"]["precision"] < 0.6
    assert kept["after_pr"] == kept["before_pr"]  # every reviewed passage still flagged
    raised = retune_thresholds(shipped, rows, {"violence": 0.6, "graphic": 0.6})["graphic"]
    assert raised["after_pr"]["precision"] >= 0.6

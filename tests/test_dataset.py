import json
from collections import defaultdict

import pytest

from labeler.learn.dataset import load_rows, split_of

from .conftest import DATA

SEED = DATA / "seed" / "labels.jsonl"


@pytest.fixture(scope="module")
def rows():
    return load_rows(DATA)


@pytest.fixture(scope="module")
def seed():
    with SEED.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_split_is_fixed_and_grouped(rows):
    # fixed: a group's split is its name's hash, the same on every machine and release (a
    # change to the rule would move rows between train and test and void every figure)
    assert [split_of(f"doc-{i}") for i in (0, 3, 7)] == ["train", "val", "test"]
    # grouped: no training text is also a test text (a near-duplicate shares its group)
    train = {r.text.strip().lower() for r in rows if split_of(r.group) == "train"}
    assert not [
        r.id for r in rows if split_of(r.group) == "test" and r.text.strip().lower() in train
    ]
    counts = defaultdict(int)
    for r in rows:
        counts[split_of(r.group)] += 1
    assert 0.1 < counts["test"] / len(rows) < 0.35


def test_seed_set_size_and_coverage(seed):
    assert len(seed) >= 600
    assert sum(r["graphic"] for r in seed) >= 150
    news = [r for r in seed if r["source"] in ("ag_news_test", "india_police_events")]
    assert len(news) >= 200


def test_seed_rows_are_consistent_and_attributed(seed):
    assert len({r["source_id"] for r in seed}) == len(seed)
    for r in seed:
        assert r["labelled_by"] and r["labelled_at"] and r["source_id"] and r["group"]
        assert r["violence"] in (0, 1) and r["graphic"] in (0, 1)
        assert (r["severity"] == 3) == (r["graphic"] == 1)
        assert (r["severity"] == 0) == (r["violence"] == 0)


def test_every_data_folder_carries_its_licence_or_source_note():
    for folder in (p for p in DATA.iterdir() if p.is_dir()):
        assert (folder / "README.md").exists() or (folder / "SOURCE_README.md").exists(), folder


def test_round4_rows_load_and_are_attributed():
    """Every round-4 row loads as a training row, and training reads them with their
    labels (not a public label of the same id from a file that sorts later)."""
    from labeler.learn.dataset import _row

    path = DATA / "round4" / "data.jsonl"
    with path.open(encoding="utf-8") as f:
        raw = [json.loads(line) for line in f]
    rows = [_row(r, path, n) for n, r in enumerate(raw, 1)]
    assert len({r.id for r in rows}) == len(rows)
    for r in raw:
        assert r["source_id"] and r["group"] and r["labelled_by"] and r["labelled_at"]
        assert r["selected_by"] in ("keyword", "random")
        assert r["violence"] in (0, 1) and r["graphic"] in (0, 1)
        assert (r["severity"] == 3) == (r["graphic"] == 1)
        assert (r["severity"] == 0) == (r["violence"] == 0)
    trained = {r.id: r for r in load_rows(DATA)}
    for r in raw:
        assert trained[r["source_id"]].labels["violence"] == r["violence"], r["source_id"]

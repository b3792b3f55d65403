"""The admin's day in the real dashboard (AppTest on a real store, the real model, real
background jobs): figures with n and intervals, adjudication, retraining as a workflow,
promotion with a confirmation, re-scoring (issue 19, sections 3 and 4)."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from labeler import score_text
from labeler.learn.registry import Registry
from labeler.model import load_model
from labeler.store.review import GRAPHIC, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC, label_text
from labeler.store.store import Store
from tests.reviewing import decide, model_as

from .conftest import ROOT

VIOLENT = "Soldiers shot {i} protesters in the square of Eastbury."
CALM = "The library of Northfield extended its opening hours for the {i}th time."
STORY = "\n\n".join((VIOLENT if i % 2 else CALM).format(i=i) for i in range(1, 41))


@pytest.fixture()
def db(tmp_path, monkeypatch, model):
    path = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(path))
    monkeypatch.setenv("LABELER_ADMINS", "boss")
    with Store(path) as store:
        store.documents.add(score_text(STORY, "story.txt", model), STORY, model.thresholds)
    return path


def app(page: str, name: str = "boss") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.sidebar.text_input(key="reviewer").input(name)
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page says in text elements, one string."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def frame(at: AppTest, *columns: str):
    """The first dataframe on the page with these columns."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with {columns}"
    return found[0]


def wait_for(at: AppTest, condition, seconds: float = 180) -> None:
    """Rerun the page until ``condition(at)`` holds: a background job is under way."""
    deadline = time.monotonic() + seconds
    while not condition(at):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


# --- statistics ------------------------------------------------------------------------


def test_statistics_show_n_and_intervals_and_each_reviewers_work(db):
    with Store(db) as store:
        for pid in range(1, 41):  # ana labels everything as the model does
            decide(store, pid, "ana", "confirm")
        for pid in range(1, 31):  # ben sees 30 of them and calls 3 violent ones graphic
            decide(store, pid, "ben", "correct" if pid in (1, 3, 5) else "confirm", GRAPHIC)
    at = app("Statistics")
    figures = at.dataframe[0].value.set_index(["label", "figure"])
    precision = figures.loc[("violence", "precision of the model's flags")]
    flagged = sum("violence" in Store(db).documents.passage(p)["flags"] for p in range(1, 41))
    assert precision["n"] == flagged
    assert precision["estimate"].endswith("%") and precision["95% interval"].endswith("%")
    kappa = figures.loc[("graphic", "Cohen's kappa between reviewers")]
    assert kappa["n"] == 30 and kappa["95% interval"] is not None
    reviewers = at.dataframe[1].value.set_index("reviewer")
    assert reviewers.loc["ana", "decisions"] == 40 and reviewers.loc["ben", "decisions"] == 30
    assert reviewers.loc["ben", "agreement with others"].startswith("90% (")  # 27 of 30
    assert "30 passages have been labelled by two or more people" in texts(at)


def test_an_admin_resolves_a_disagreement_and_retraining_uses_it(db):
    from labeler.learn.dataset import reviewed_rows

    with Store(db) as store:
        decide(store, 1, "ana", "correct", GRAPHIC)
        decide(store, 1, "ben", "correct", NOT_VIOLENT)
    at = app("Statistics")
    assert at.dataframe[-1].value["final label"].tolist() == ["unresolved"]
    (final,) = [r for r in at.radio if r.label == "Final label"]
    final.set_value(VIOLENT_NOT_GRAPHIC)
    (note,) = [t for t in at.text_input if t.label == "Note (why)"]
    note.input("a shooting, no gore")
    (record,) = [b for b in at.button if b.label == "Record the final label"]
    record.click().run()
    assert not at.exception
    assert f"Final label recorded: {label_text(VIOLENT_NOT_GRAPHIC)}." in texts(at)
    assert at.dataframe[-1].value["final label"].tolist() == [label_text(VIOLENT_NOT_GRAPHIC)]
    with Store(db) as store:
        rows, left_out = reviewed_rows(store.labelled.items())
        assert left_out == [] and rows[0].severity == 2
        (entry,) = store.admin.entries()
        assert (entry.action, entry.actor) == ("adjudicate", "boss")


def test_only_admins_resolve_disagreements(db):
    with Store(db) as store:
        decide(store, 1, "ana", "correct", GRAPHIC)
        decide(store, 1, "ben", "correct", NOT_VIOLENT)
    at = app("Statistics", name="ana")
    assert not [b for b in at.button if b.label == "Record the final label"]
    assert "Resolving a disagreement is for admins" in texts(at)


# --- the model page --------------------------------------------------------------------


def test_model_page_names_sources_hides_small_figures_and_shows_loso(db):
    at = app("Model", name="ana")
    figures = at.dataframe[0].value
    assert "ag_news_test" not in set(figures["source"]) and "News (AG News)" in set(
        figures["source"]
    )
    tiny = figures[figures["positives"] < 5]  # e.g. graphic on AG News: 2 positives
    assert len(tiny) and set(tiny["AUPRC"]) == {"too few"}
    loso = at.dataframe[1].value
    assert {"held-out source", "AUPRC", "recall @ review point"} <= set(loso)
    assert "Fan fiction (AO3)" in set(loso["held-out source"])


def test_retrain_with_nothing_new_says_so_at_once(db, tmp_path):
    at = app("Model")
    at.button(key="retrain").click().run()
    assert not at.exception
    assert "Nothing new to learn from: no reviewed passage in the store" in texts(at)
    assert not (tmp_path / "home" / "jobs").exists()  # no job was started
    assert Registry(tmp_path / "home").versions() == []


def test_retrain_runs_in_the_background_and_ends_in_a_report_then_promote_confirms(
    db, small_data, monkeypatch, tmp_path
):
    monkeypatch.setenv("LABELER_DATA", str(small_data))
    with Store(db) as store:
        for pid in range(1, 41):
            decide(store, pid, "ana", "confirm")
    at = app("Model")
    at.button(key="retrain").click().run()
    assert "Other pages keep working meanwhile" in texts(at) or "Report on candidate" in texts(at)
    other = app("Statistics")  # another page, meanwhile
    assert other.dataframe[0].value["n"].max() > 0
    wait_for(at, lambda a: "Report on candidate" in texts(a) or "failed" in texts(a))
    registry = Registry(tmp_path / "home")
    (card,) = registry.versions()
    version = card["version"]
    assert registry.current() is None  # a retrain never promotes from the dashboard
    checks = frame(at, "check", "result")
    assert checks["check"].str.contains("AUPRC").any() and len(checks) == 3
    by_source = frame(at, "precision @ review")
    assert {"AUPRC", "precision @ flag", "recall @ flag", "precision @ review"} <= set(by_source)
    assert set(by_source["label"]) == {"violence", "graphic"}
    assert {"All sources", "Fan fiction (AO3)"} <= set(by_source["source"])  # per source, read
    # the same reviews again: nothing new, at once
    at.button(key="retrain").click().run()
    assert f"version {version} was trained on these same reviews" in texts(at)
    # promote the candidate: a confirmation first, and Cancel changes nothing
    at.button(key="promote_candidate").click().run()
    assert f"Promote {version}? It replaces" in texts(at) and registry.current() is None
    at.button(key="confirm_no").click().run()
    assert "? It replaces" not in texts(at) and registry.current() is None
    at.button(key="promote_candidate").click().run()
    at.button(key="confirm_yes").click().run()
    assert not at.exception and registry.current() == version
    assert at.header[0].value == f"Model {version}"  # the page shows the state after it
    versions = frame(at, "version", "current").set_index("version")
    assert versions.loc[version, "current"] == "✓"
    with Store(db) as store:
        log = [(e.action, e.actor) for e in store.admin.entries()]
    assert log[:2] == [("promote", "boss"), ("retrain", "boss")]


def test_promote_and_roll_back_ask_for_confirmation(db, tmp_path):
    registry = Registry(tmp_path / "home")
    model_as(registry.root / "v-next", "v-next")
    at = app("Model")
    assert at.selectbox(key="promote_version-1").value == "v-next"  # the newest, chosen
    at.button(key="promote").click().run()
    assert "Promote v-next? It replaces" in texts(at) and registry.current() is None
    at.button(key="confirm_yes").click().run()
    assert registry.current() == "v-next" and at.header[0].value == "Model v-next"
    at.button(key="rollback").click().run()
    assert "Roll back from v-next to the shipped model?" in texts(at)
    assert registry.current() == "v-next"
    at.button(key="confirm_yes").click().run()
    assert registry.current() is None
    with Store(db) as store:
        assert [e.action for e in store.admin.entries()] == ["rollback", "promote"]


def test_rescore_from_the_dashboard_keeps_reviews_and_clears_the_banner(db, tmp_path, monkeypatch):
    with Store(db) as store:
        decide(store, 1, "ana", "correct", GRAPHIC)
    newer = model_as(tmp_path / "newer", "newer-model")
    monkeypatch.setenv("LABELER_MODEL", str(newer))
    at = app("Model")
    assert "40 of 40 stored passages were scored by an older model" in texts(at)
    at.button(key="rescore").click().run()
    wait_for(at, lambda a: "Last re-score, by boss" in texts(a) or "failed" in texts(a), 120)
    assert "re-scored 40 passages with model newer-model" in texts(at)
    assert "scored by an older model" not in texts(at)
    with Store(db) as store:
        assert store.rescoring.scored_by()["newer-model"] == 40
        assert store.reviews.current_labels(1) == GRAPHIC
        assert [e.action for e in store.admin.entries()] == ["rescore"]


def test_the_review_page_says_when_a_passage_was_scored_by_another_model(db, tmp_path, monkeypatch):
    at = app("Review", name="ana")
    assert "Scored by model" not in texts(at)
    monkeypatch.setenv("LABELER_MODEL", str(model_as(tmp_path / "newer", "newer-model")))
    at = app("Review", name="ana")
    shipped = load_model().version
    assert f"Scored by model {shipped}, not the current model newer-model" in texts(at)


def test_an_admin_sets_the_double_review_share(db):
    at = app("Model")
    at.number_input(key="double_review").set_value(10)
    at.button(key="double_review_save").click().run()
    assert not at.exception
    with Store(db) as store:
        assert store.admin.double_review_percent() == 10.0
        (entry,) = store.admin.entries()
        assert (entry.action, entry.actor) == ("setting", "boss")
        assert entry.detail == "double review: 10% of passages"
        decide(store, 1, "ana", "confirm")
    assert "10% of passages go to a second reviewer" in texts(app("Statistics", name="ana"))

"""Hostile and careless use of the review dashboard (issue 16: items 12, 24, 27, 29): the real
app script under streamlit.testing.v1.AppTest, on a real SQLite store scored by the real model.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from labeler import score_text
from labeler.dashboard.wording import passage_name
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.store import Store
from tests.reviewing import decide, press

from .conftest import ROOT

CALM = "The library of Calmton extended its opening hours for the {i}th time, the council said."
GORE = (
    "A man in Calmton was stabbed {i} times and bled to death in the alley,"
    " his intestines spilling onto the road."
)
LONG = "\n\n".join([CALM.format(i=i) for i in range(380)] + [GORE.format(i=i) for i in range(20)])


def fill(path, monkeypatch, model, docs: list[tuple[str, str]]) -> dict[str, dict]:
    """A store at ``path`` (the dashboard's, through LABELER_DB) holding ``docs`` scored by the
    shipped model: each document's record, as `labeler score` prints it."""
    monkeypatch.setenv("LABELER_DB", str(path))
    records = {}
    with Store(path) as store:
        for doc_id, text in docs:
            records[doc_id] = score_text(text, doc_id, model)
            store.documents.add(records[doc_id], text, model.thresholds)
    return records


def named(path, passage_id: int) -> str:
    """A passage as the dashboard names it: its document and its number there, from 1."""
    with Store(path) as store:
        p = store.documents.passage(passage_id)
    return passage_name(p["record_id"], p["index"])


def tab(name: str | None = None, *, url_name: str | None = None) -> AppTest:
    """A new browser tab on the review page: the name typed in the box, in document order
    (``name``), or carried in the URL as a reload carries it, in the default order
    (``url_name``)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if url_name is not None:
        at.query_params["reviewer"] = url_name
    at.run()
    if name is not None:
        at.sidebar.radio(key="order").set_value("Document order").run()
        at.sidebar.text_input(key="reviewer").input(name).run()
    assert not at.exception
    return at


# --- 12: the warning and the whole document are the whole document's --------------------


def test_the_suggested_warning_and_the_whole_document_cover_every_passage(
    tmp_path, monkeypatch, model
):
    """A 400-passage story whose graphic passages are its last 20: the reviewer is served its
    first passage; the suggestion is the CLI's warning (it was "No content warning"), Save
    records that level (it recorded "none"), and the whole document shows all 400."""
    records = fill(tmp_path / "review.db", monkeypatch, model, [("long", LONG)])
    cli = records["long"]["warning"]
    assert cli["level"] == "graphic"  # what `labeler score` says of the story
    at = tab("ana")
    shown = Store(tmp_path / "review.db").documents.passage(at.session_state["current"].passage_id)
    assert shown["index"] == 0
    (suggestion,) = at.code
    assert suggestion.value == cli["text"]
    (expander,) = [e for e in at.expander if e.label.startswith("The whole document")]
    assert expander.label == "The whole document (400 passages)"
    document = "".join(m.value for m in expander.markdown)
    assert GORE.format(i=19) in document and CALM.format(i=379) in document
    at.button(key=f"ws-{shown['document_id']}").click().run()
    with Store(tmp_path / "review.db") as store:
        (saved,) = [
            w for w in store.warnings.of_documents() if w.document_id == shown["document_id"]
        ]
    assert (saved.warning["level"], saved.warning["text"]) == (cli["level"], cli["text"])


# --- 24: two tabs of one reviewer ---------------------------------------------------------

STORY = "\n\n".join(f"Soldiers shot {i + 2} protesters dead in the square." for i in range(10))


def reviews_of(path) -> list[tuple[int, str]]:
    with Store(path) as store:
        rows = store.db.execute("SELECT passage_id, reviewer FROM reviews ORDER BY id").fetchall()
    return [tuple(r) for r in rows]


def test_two_tabs_of_one_reviewer_both_keep_working(tmp_path, monkeypatch, model):
    """Ana opens the queue in two tabs and presses a key in each in turn. The new tab shows
    the passage she holds; once the first tab decides it, the new tab's press on it is
    refused, once, and from then on every press decides the passage of its own tab (before:
    every press in either tab was refused, each with a toast)."""
    fill(tmp_path / "review.db", monkeypatch, model, [("story", STORY)])
    first, second = tab("ana"), tab("ana")
    shared = first.session_state["current"]
    opened_on = second.session_state["current"]
    decided, refused = [], []
    for at in [first, second] * 4:
        shown = at.session_state["current"].passage_id
        press(at, "N")
        if at.toast:
            assert at.toast[0].value == (  # by its document and number, not its database id
                f"{named(tmp_path / 'review.db', shown)}: not recorded: it is no longer your"
                " current passage."
            )
            refused.append(shown)
        else:
            decided.append(shown)
    assert refused == [shared.passage_id] and opened_on == shared
    assert reviews_of(tmp_path / "review.db") == [(p, "ana") for p in decided]
    assert len(set(decided)) == 7


def test_a_reload_gets_its_passage_back(tmp_path, monkeypatch, model):
    """A reload is a new session: it is given the passage its reviewer holds (the same
    claim), not a new one beside a claim left idle for ten minutes."""
    fill(tmp_path / "review.db", monkeypatch, model, [("story", STORY)])
    held = tab("ana").session_state["current"]
    reloaded = tab(url_name="ana")
    assert reloaded.session_state["current"] == held
    press(reloaded, "N")
    assert reviews_of(tmp_path / "review.db") == [(held.passage_id, "ana")]
    with Store(tmp_path / "review.db") as store:
        claims = store.db.execute("SELECT passage_id FROM claims WHERE reviewer = 'ana'")
        assert [row[0] for row in claims] == [reloaded.session_state["current"].passage_id]


# --- 27: reviewer names are not column names ------------------------------------------------


@pytest.mark.parametrize("name", ["text", "document", "passage"])
def test_a_reviewer_named_like_a_column_does_not_overwrite_it(tmp_path, monkeypatch, model, name):
    text = "Gunmen shot dead eleven villagers."
    fill(tmp_path / "review.db", monkeypatch, model, [("d1", text)])
    with Store(tmp_path / "review.db") as store:
        decide(store, 1, "ana", "correct", GRAPHIC)
        decide(store, 1, name, "correct", NOT_VIOLENT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.sidebar.radio(key="page").set_value("Statistics").run()
    assert not at.exception
    (disputes,) = [d.value for d in at.dataframe if "passage" in d.value.columns]
    (row,) = disputes.to_dict("records")
    assert (row["document"], row["passage"], row["text"]) == ("d1", 1, text)
    ours = ("document", "passage", "text", "final label")
    labels = sorted(v for k, v in row.items() if k not in ours)
    assert labels == ["graphic", "not violent"]  # each reviewer's label, in a column of its own
    assert any(name in column for column in row if column not in ours)


# --- 29: an empty queue whose passages are being reviewed by others ------------------------


def test_an_empty_queue_says_its_passages_are_being_reviewed_not_labelled(
    tmp_path, monkeypatch, model
):
    fill(tmp_path / "review.db", monkeypatch, model, [("d1", "Gunmen shot dead eleven villagers.")])
    ana = tab("ana")
    assert ana.session_state["current"] is not None  # ana reads the only passage
    ben = tab("ben")
    (message,) = ben.success
    assert "every passage" not in message.value  # it has no label yet
    assert "1 passage is being reviewed in this queue" in message.value
    press(ana, "N")
    ben.run()
    assert "every passage in this queue has a label" in ben.success[0].value

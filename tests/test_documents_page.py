"""The dashboard's Documents page and the review page's warning, driven by AppTest on a
real store: one row per document, filters and sorting, a document opened whole with its
warning editor, and warnings that follow the reviewers' labels."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from labeler.store.store import Store
from tests.reviewing import add_documents, press

from .conftest import ROOT

SPORT = "United murdered them in the second half.\n\nThe keeper was shell-shocked after five goals."
LONG = "Council minutes\n\n" + "\n\n".join(
    "A man was stabbed and bled to death in the alley, witnesses said."
    if i == 300
    else f"The council met for the {i}th time to discuss the library budget."
    for i in range(400)
)
DOCS = [
    ("wire/shooting.txt", "Gunmen shot dead eleven villagers in a dawn raid, police said."),
    ("wire/threat.txt", "They should all be shot, every last one of them, he wrote."),
    ("sport/derby.txt", SPORT),
    ("archive/minutes.txt", LONG),
    ("wire/calm.txt", "The council approved the library budget on Tuesday."),
]


@pytest.fixture()
def db(tmp_path, monkeypatch, model):
    path = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(path))
    with Store(path) as store:
        add_documents(store, [(key, key, text) for key, text in DOCS], model)
    return path


def documents_page(editor: str = "eda") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["reviewer"] = editor
    at.run()
    at.sidebar.radio(key="page").set_value("Documents").run()
    assert not at.exception
    return at


def shown(at: AppTest) -> str:
    """Every markdown element's text: the status line is escaped markup."""
    return " ".join(m.value for m in at.markdown)


def table(at: AppTest) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def document_id(db, key: str) -> int:
    with Store(db) as store:
        return next(w.document_id for w in store.warnings.of_documents() if w.id == key)


def test_one_row_per_document_with_its_warning_status_and_counts(db):
    rows = table(documents_page())
    assert [r["document"] for r in rows] == [
        "calm.txt",
        "derby.txt",
        "minutes.txt",
        "shooting.txt",
        "threat.txt",
    ]  # sorted by name
    by_name = {r["document"]: r for r in rows}
    assert by_name["shooting.txt"]["warning"] == "violence: shooting"
    assert by_name["threat.txt"]["warning"] == "violence: threats of violence"
    assert by_name["calm.txt"]["warning"] == "none"
    assert by_name["shooting.txt"]["status"] == "suggested *"  # * needs a decision
    assert by_name["calm.txt"]["status"] == "suggested"
    assert by_name["minutes.txt"]["reviewed · waiting"] == "0 · 401"
    assert by_name["minutes.txt"]["headline"] == "Council minutes"


def test_filters_and_sorting(db):
    at = documents_page()
    at.multiselect(key="doc_levels").select("none").run()
    assert [r["document"] for r in table(at)] == ["calm.txt"]
    at.multiselect(key="doc_levels").unselect("none").run()
    at.multiselect(key="doc_categories").select("threats").run()
    assert [r["document"] for r in table(at)] == ["threat.txt"]
    at.multiselect(key="doc_categories").unselect("threats").run()
    at.checkbox(key="doc_needs_decision").check().run()
    assert "calm.txt" not in [r["document"] for r in table(at)]
    at.checkbox(key="doc_needs_decision").uncheck().run()
    at.selectbox(key="doc_sort").set_value("Most passages waiting").run()
    assert table(at)[0]["document"] == "minutes.txt"
    assert "4 of 5 documents" not in at.caption[0].value and "5 of 5" in at.caption[0].value


def test_an_opened_document_is_shown_whole_with_its_warning_editor(db):
    at = documents_page()
    at.session_state["doc_opened"] = document_id(db, "archive/minutes.txt")
    at.run()
    whole = "".join(m.value for m in at.markdown)
    assert 'id="passage-1"' in whole and 'id="passage-401"' in whole  # all 401, not ±150
    assert 'id="passage-302" data-level' in whole  # the stabbing, highlighted
    assert at.selectbox(key=f"goto-{document_id(db, 'archive/minutes.txt')}").value == 301
    assert at.code[0].value.startswith("Contains")
    assert any(b.key.startswith("wa-") for b in at.button)


def test_accepting_a_warning_records_the_suggestion_the_editor_saw(db):
    at = documents_page()
    shooting = document_id(db, "wire/shooting.txt")
    at.session_state["doc_opened"] = shooting
    at.run()
    at.button(key=f"wa-{shooting}").click().run()
    with Store(db) as store:
        rows = store.db.execute(
            "SELECT reviewer, decision, level, warning, categories FROM document_reviews"
        ).fetchall()
    assert [tuple(r) for r in rows] == [
        (
            "eda",
            "accept",
            "violence",
            "Contains descriptions of violence: shooting",
            '["shooting", "killing"]',
        )
    ]
    assert "Status: accepted" in shown(at)
    assert at.button(key=f"wa-{shooting}").disabled  # nothing left to accept


def test_an_edited_warning_and_no_warning_needed_are_the_editors_own(db):
    at = documents_page()
    derby = document_id(db, "sport/derby.txt")
    at.session_state["doc_opened"] = derby
    at.run()
    at.button(key=f"wn-{derby}").click().run()
    assert "Status: no warning needed" in shown(at)
    at.selectbox(key=f"wl-{derby}").set_value("graphic")
    at.multiselect(key=f"wc-{derby}").select("blood")
    at.text_input(key=f"wt-{derby}").input("Contains graphic injury")
    at.button(key=f"ws-{derby}").click().run()
    assert "Status: edited" in shown(at)
    row = next(r for r in table(at) if r["document"] == "derby.txt")
    assert (row["warning"], row["status"]) == ("graphic: Contains graphic injury", "edited")


def test_the_review_pages_warning_follows_the_reviewers_correction(db):
    """The football report: the model flags its first passage; marked not violent, the
    warning shown for the document (now on its second passage) is none."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.sidebar.radio(key="order").set_value("Document order")
    at.sidebar.text_input(key="reviewer").input("rita").run()
    while "sport/derby.txt" not in " ".join(m.value for m in at.markdown[:1]):
        press(at, "S")  # skip to the football report
    assert at.code[0].value.startswith("Contains descriptions of violence")
    press(at, "N")
    assert "derby.txt" in at.markdown[0].value and "passage 2" in at.markdown[0].value
    assert at.code[0].value == "No content warning"

"""The review screen, the landing page and the upload's column picker, driven by
streamlit.testing.v1.AppTest on a real store: what each shows is the state after the action,
in words, with passages numbered from 1 and never by a database id."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from labeler import score_text
from labeler.store.review import GRAPHIC, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC, model_labels
from labeler.store.store import Store
from tests.reviewing import press
from tests.test_app import app, upload_page

from .conftest import ROOT

# "padding" comes first, so that no passage's database id is its number in its document.
DOCS = [
    ("padding", "The library extended its opening hours.\n\nThe bus ran late.\n\nIt rained."),
    ("wire/d1.txt", "Gunmen shot dead eleven villagers.\n\nThe market reopened on Monday."),
    ("d2", "Soldiers shot four protesters in the square.\n\nThe council met."),
]


@pytest.fixture()
def db(tmp_path, monkeypatch, model):
    path = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(path))
    with Store(path) as store:
        for doc_id, text in DOCS:
            store.documents.add(score_text(text, doc_id, model), text, model.thresholds)
    return path


def start(name: str = "ana", source_order: str = "Document order") -> AppTest:
    """Signed in as ``name``, in document order, past the padding document."""
    at = app()
    at.sidebar.radio(key="order").set_value(source_order)
    at.sidebar.text_input(key="reviewer").input(name).run()
    for _ in range(3):
        press(at, "S")
    return at


def shown(at: AppTest, db) -> dict:
    """The passage on screen, as the store has it."""
    with Store(db) as store:
        return store.documents.passage(at.session_state["current"].passage_id)


def claim_lines(at: AppTest) -> list[str]:
    """The model's claim on screen, then the passage's review-point status (if any)."""
    (html,) = [m.value for m in at.main.markdown if 'data-testid="model-claim"' in m.value]
    assert html.startswith('<p data-testid="model-claim">') and html.endswith("</p>")
    return html.removeprefix('<p data-testid="model-claim">').removesuffix("</p>").split("<br>")


def buttons(at: AppTest) -> dict[str, str]:
    """The decision bar: each shortcut key and the label of its button."""
    return {b.key.split("-")[1]: b.label for b in at.button if b.key.startswith("act-")}


def test_the_model_claim_is_said_in_words_and_agree_names_what_it_records(db, model):
    at = start()
    flagged = shown(at, db)
    assert flagged["record_id"] == "wire/d1.txt" and flagged["flags"]
    words = {
        (1, 0, 1): "violent, in passing",
        (1, 0, 2): "violent, described",
        (1, 1, 3): "graphic",
    }
    labels = model_labels(flagged["flags"], flagged["severity"])
    said = words[(labels.violence, labels.graphic, labels.severity)]
    label = "graphic" if "graphic" in flagged["flags"] else "violence"
    assert claim_lines(at)[0] == (
        f"The model flags this as {said}: "
        f"{flagged[label]:.2f}, threshold {model.thresholds[label]:.2f}."
    )
    assert buttons(at) == {
        "Y": f"Agree: {said}",
        "N": "Not violent",
        "P": "Violent, in passing",
        "V": "Violent, described",
        "G": "Graphic",
        "S": "Skip",
    }
    press(at, "Y")
    calm = shown(at, db)
    assert calm["text"] == "The market reopened on Monday." and not calm["flags"]
    assert claim_lines(at)[0] == (
        "The model does not flag this: violence "
        f"{calm['violence']:.2f}, threshold {model.thresholds['violence']:.2f}."
    )
    assert buttons(at)["Y"] == "Agree: not violent"
    press(at, "Y")  # agreeing records the model's own labels, whatever they are
    with Store(db) as store:
        assert store.reviews.current_labels(flagged["id"]) == labels
        assert store.reviews.current_labels(calm["id"]) == NOT_VIOLENT


def test_toasts_name_passages_by_document_and_number_never_by_database_id(db):
    at = start()
    press(at, "G")
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    again.run()
    again.sidebar.radio(key="order").set_value("Document order")
    again.sidebar.text_input(key="reviewer").input("ana").run()  # a second tab shares it
    shared = shown(at, db)
    assert (shared["record_id"], shared["index"], shared["id"]) == ("wire/d1.txt", 1, 5)
    assert again.session_state["current"] == at.session_state["current"]
    press(again, "N")  # decided in the second tab...
    press(at, "N")  # ...so the first tab's press is refused
    assert [t.value for t in at.toast] == [
        "d1.txt · passage 2: not recorded: it is no longer your current passage."
    ]
    (undo,) = [b for b in again.button if b.key.startswith("undo-")]
    undo.click().run()
    assert [t.value for t in again.toast] == ["Undid your decision on d1.txt · passage 2."]


def test_a_decision_three_passages_back_is_one_click_to_decide_again(db):
    """The recent-decisions strip: the last decisions, newest first, spelled out; reopening
    the third serves that passage, the next key decides it again, and then the queue goes
    on where it was."""
    at = start("bo")
    order = []
    for key in ("N", "G", "V"):
        order.append(shown(at, db)["id"])
        press(at, key)
    waiting = shown(at, db)["id"]
    strip = [b for b in at.button if b.key.startswith("reopen-")]
    assert [b.label for b in strip] == [
        "d2 · passage 1: violent, described",
        "d1.txt · passage 2: graphic",
        "d1.txt · passage 1: not violent",
        "padding · passage 3: skipped",
        "padding · passage 2: skipped",
    ]
    strip[2].click().run()  # three back
    assert shown(at, db)["id"] == order[0]
    assert at.toast[0].value == "Reopened d1.txt · passage 1: your next key decides it again."
    press(at, "G")
    with Store(db) as store:
        assert store.reviews.current_labels(order[0]) == GRAPHIC  # the new decision stands
        assert store.reviews.current_labels(order[2]) == VIOLENT_NOT_GRAPHIC
        assert [r.decision for r in store.reviews.of(order[0])] == ["correct", "correct"]
    assert shown(at, db)["id"] == waiting  # back to the queue where it was
    labels = [b.label for b in at.button if b.key.startswith("reopen-")]
    assert labels[:3] == [
        "d1.txt · passage 1: graphic",  # once: its earlier decision is not listed again
        "d2 · passage 1: violent, described",
        "d1.txt · passage 2: graphic",
    ]


def test_an_undone_decision_leaves_the_strip(db):
    at = start("cy")
    press(at, "N")
    press(at, "G")
    (undo,) = [b for b in at.button if b.key.startswith("undo-")]
    undo.click().run()
    assert [b.label for b in at.button if b.key.startswith("reopen-")][:2] == [
        "d1.txt · passage 1: not violent",
        "padding · passage 3: skipped",
    ]


def test_a_saved_warning_is_the_one_shown_at_once(db):
    at = start()
    document = shown(at, db)["document_id"]
    assert at.code[0].value.startswith("Contains")  # the suggestion
    at.selectbox(key=f"wl-{document}").set_value("graphic")
    at.text_input(key=f"wt-{document}").input("Contains an execution").run()
    at.button(key=f"ws-{document}").click().run()
    assert at.toast[0].value == "Warning saved."
    assert at.code[0].value == "Contains an execution"  # the saved text, not the old one
    assert any("set by ana at " in m.value for m in at.main.markdown)


def test_the_landing_page_names_the_store_and_sums_it_up(db):
    at = app()
    assert "Enter your name" in at.info[0].value
    assert [(m.label, m.value) for m in at.metric] == [
        ("Documents", "3"),
        ("Passages", "7"),
        ("Waiting", "7"),
        ("Labelled", "0"),
    ]
    page = "".join(m.value for m in at.main.markdown)
    assert "<h3>review.db</h3>" in page and str(db) in page
    assert "Model 20" in page and "shipped with the package" in page
    assert any("Review store: <b>review.db</b>" in m.value for m in at.sidebar.markdown)


def test_a_store_that_does_not_exist_is_refused_by_name_and_not_made(tmp_path, monkeypatch):
    typo = tmp_path / "reveiw.db"
    monkeypatch.setenv("LABELER_DB", str(typo))
    at = app()
    assert not at.exception
    assert at.error[0].value.startswith("The review store is unavailable: it does not exist.")
    assert at.code[0].value == str(typo)
    assert not at.sidebar.text_input and not typo.exists()


def documents(db) -> list[str]:
    with Store(db) as store:
        return [r[0] for r in store.db.execute("SELECT record_id FROM documents ORDER BY id")]


def test_the_upload_reads_the_text_and_id_fields_picked_for_csv_and_jsonl(db):
    csv = b"ref,body,desk\nw-1,Soldiers shot two protesters.,world\nw-2,The bus ran late.,city\n"
    jsonl = b'{"story": "Gunmen shot a guard.", "n": 7}\n{"story": "Calm day.", "n": 8}\n'
    at = upload_page([("wire.csv", csv), ("feed.jsonl", jsonl)])
    assert at.selectbox(key="text_field-0").options == ["ref", "body", "desk"]
    assert at.selectbox(key="id_field-1").options[1:] == ["story", "n"]
    at.selectbox(key="text_field-0").set_value("body")
    at.selectbox(key="id_field-0").set_value("ref")
    at.selectbox(key="text_field-1").set_value("story")
    at.selectbox(key="id_field-1").set_value("n").run()
    at.button(key="score_uploads").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Scored 2 documents (2 passages) from one file.",
        "Scored 2 documents (2 passages) from one file.",
    ]
    assert documents(db)[-4:] == ["w-1", "w-2", "7", "8"]


def test_an_upload_that_stores_nothing_is_an_error_not_a_success(db):
    before = documents(db)
    at = upload_page([("numbers.jsonl", b'{"id": 1, "n": 2}\n{"id": 2, "n": 3}\n')])
    at.button(key="score_uploads").click().run()
    assert not at.success
    assert at.error[0].value == "Nothing stored: no document in this file could be scored."
    assert at.error[1].value == "2 records could not be scored:"
    assert at.code[-1].value.startswith("numbers.jsonl:1: ")
    assert documents(db) == before


def test_recent_decisions_are_the_standing_ones_newest_first_once_per_passage(store_target, model):
    """On each engine: a decision undone is gone, one undone twice over is back, a copy
    decided with its passage is not listed twice, and other reviewers' are not listed."""
    from labeler.store.review import IN_PASSING
    from tests.reviewing import decide, undo_last

    text = "Shots were fired.\n\nThe mayor spoke.\n\nShots were fired.\n\nA car burned."
    with Store(store_target) as store:
        store.documents.add(score_text(text, "doc", model), text, model.thresholds)
        first, second, copy, fourth = (store.documents.passage_id("doc", i) for i in range(4))
        decide(store, first, "ana", "correct", GRAPHIC)  # decides its copy too
        decide(store, second, "ana", "skip")
        decide(store, fourth, "ana", "correct", IN_PASSING)
        decide(store, fourth, "ben", "correct", NOT_VIOLENT)
        undo_last(store, "ana")  # the in-passing label
        undo_last(store, "ana")  # the skip
        decide(store, second, "ana", "correct", NOT_VIOLENT)
        recent = store.reviews.recent("ana")
        assert [(d.review.passage_id, d.review.labels, d.index) for d in recent] == [
            (second, NOT_VIOLENT, 1),
            (first, GRAPHIC, 0),
        ]
        assert {d.record_id for d in recent} == {"doc"} and copy not in {
            d.review.passage_id for d in recent
        }
        assert [d.review.passage_id for d in store.reviews.recent("ana", limit=1)] == [second]
        assert [d.review.labels for d in store.reviews.recent("ben")] == [NOT_VIOLENT]


VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
THREAT = "He said he would hurt her if she told anyone."  # under the flag, at the review point
CALM = "The council approved a new budget for the library."


@pytest.fixture()
def review_point_db(tmp_path, monkeypatch, model):
    """A store of three one-passage documents: flagged, to review only, and neither."""
    path = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(path))
    with Store(path) as store:
        for doc_id, text in [("flagged", VIOLENT), ("to-review", THREAT), ("calm", CALM)]:
            record = score_text(text, doc_id, model)
            store.documents.add(record, text, model.thresholds)
            assert {  # the case each document is here for
                "flagged": record["flags"] == ["violence"],
                "to-review": not record["flags"] and record["review"] == ["violence"],
                "calm": not record["review"],
            }[doc_id]
    return path


def served_now(at: AppTest, db) -> list[str]:
    """The documents the queue serves as it is filtered now, each skipped in turn."""
    served = []
    while at.session_state["current"] is not None:
        served.append(shown(at, db)["record_id"])
        press(at, "S")
    assert "Nothing is waiting" in at.success[0].value
    return served


def test_the_queue_serves_flagged_or_to_review_when_asked(review_point_db):
    """The Filters' "Flagged or to review": a passage under the flag but at its label's
    review point is served with it on, and never by the flag alone."""
    at = app()
    at.sidebar.radio(key="order").set_value("Highest score first")
    at.sidebar.text_input(key="reviewer").input("ana")
    at.selectbox(key="f_label").set_value("violence").run()
    assert served_now(at, review_point_db) == ["flagged"]  # flagged only
    at.checkbox(key="f_review").check().run()
    assert served_now(at, review_point_db) == ["to-review"]
    at.selectbox(key="f_label").set_value("any").run()  # any label: still never the calm one
    assert at.session_state["current"] is None
    at.checkbox(key="f_review").uncheck().run()  # the filter off: every passage
    assert served_now(at, review_point_db) == ["calm"]


def test_the_review_point_status_shows_beside_the_model_claim(review_point_db, model):
    """Issue 19: beside the model's claim, whether the passage is to review, with the score
    and the review point that decided it (from the scoring model's card)."""
    at = app()
    at.sidebar.radio(key="order").set_value("Highest score first")
    at.sidebar.text_input(key="reviewer").input("ana").run()
    point = model.review_thresholds
    statuses = {}
    while at.session_state["current"] is not None:
        p = shown(at, review_point_db)
        statuses[p["record_id"]] = (p, claim_lines(at)[1:])
        press(at, "S")
    flagged, also = statuses["flagged"]
    assert flagged["review"] == ["violence", "graphic"]  # flagged for violence only
    assert also == [
        f"Also to review: at the review point for graphic ({flagged['graphic']:.2f},"
        f" review point {point['graphic']:.2f})."
    ]
    threat, to_review = statuses["to-review"]
    assert to_review == [
        f"To review: at the review point for violence ({threat['violence']:.2f},"
        f" review point {point['violence']:.2f})."
    ]
    assert statuses["calm"][1] == [
        "Not to review either: under the review point"
        f" (violence {point['violence']:.2f}, graphic {point['graphic']:.2f})."
    ]

"""The real dashboard script, driven by streamlit.testing.v1.AppTest on a real store."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from labeler import score_text
from labeler.store.review import GRAPHIC, IN_PASSING, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC
from labeler.store.store import Store
from tests.reviewing import decide, note_box, press, press_undo, progress_line, undo_last

from .conftest import ROOT

XSS = 'He was shot. <script>alert("x")</script><img src=x onerror=alert(1)> **bold**'


@pytest.fixture()
def db(tmp_path, monkeypatch, model):
    path = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(path))
    store = Store(path)
    for doc_id, text in [
        ("d1", "Gunmen shot dead eleven villagers.\n\nThe market reopened."),
        ("d2", XSS),
    ]:
        store.documents.add(score_text(text, doc_id, model), text, model.thresholds)
    store.close()
    return path


def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    return at


def start(name: str = "ana") -> AppTest:
    at = app()
    at.sidebar.radio(key="order").set_value("Document order")
    at.sidebar.text_input(key="reviewer").input(name).run()
    return at


def test_asks_for_a_reviewer_and_shows_the_rubric(db):
    at = app()
    assert not at.exception
    assert "Enter your name" in at.info[0].value
    assert any("violence" in m.value for m in at.sidebar.markdown)


def test_each_decision_is_stored_with_the_reviewer(db):
    at = start()
    assert "labelled by you 0" in progress_line(at)
    press(at, "G")
    press(at, "N")
    press(at, "Y")
    assert "labelled by you 3" in progress_line(at)
    store = Store(db)
    labels = [store.reviews.current_labels(pid) for pid in (1, 2, 3)]
    assert labels[0] == GRAPHIC and labels[1] == NOT_VIOLENT and labels[2] is not None
    assert {r.reviewer for pid in (1, 2, 3) for r in store.reviews.of(pid)} == {"ana"}


def test_undo_cancels_the_last_decision(db):
    at = start()
    press(at, "V")
    assert Store(db).reviews.current_labels(1) == VIOLENT_NOT_GRAPHIC
    press_undo(at)
    assert at.session_state["current"].passage_id == 1  # back to the undone passage
    press(at, "G")
    assert Store(db).reviews.current_labels(1) == GRAPHIC
    press_undo(at)  # the first correction was undone already: nothing left standing
    assert [b for b in at.button if b.key.startswith("undo-")][0].disabled
    store = Store(db)
    assert store.reviews.current_labels(1) is None
    assert [r.decision for r in store.reviews.of(1)] == ["correct", "undo", "correct", "undo"]


def test_an_undone_passage_goes_back_to_waiting_when_the_reviewer_moves_on(db):
    at = start()
    press(at, "V")
    press_undo(at)
    at.sidebar.radio(key="order").set_value("Highest score first").run()  # moves on
    ben = start("ben")
    served = {ben.session_state["current"].passage_id}
    for _ in range(3):
        if ben.session_state["current"] is None:
            break
        press(ben, "S")
        if ben.session_state["current"] is not None:
            served.add(ben.session_state["current"].passage_id)
    assert 1 in served or at.session_state["current"].passage_id == 1
    assert Store(db).queue.progress()["reviewed"] == 0  # an undone passage is not counted


def test_a_decision_for_a_stale_passage_is_refused_and_never_stored(db):
    at = start("ana")
    shown = at.session_state["current"]
    again = start("ana")  # the same reviewer in a second tab is shown the passage she holds
    assert again.session_state["current"] == shown
    press(at, "N")
    press(again, "G")  # the second tab still shows it, decided: its decision is stale
    store = Store(db)
    assert [r.labels for r in store.reviews.of(shown.passage_id)] == [NOT_VIOLENT]
    assert "no longer your current passage" in again.toast[0].value
    assert store.maintenance.counts()["reviews"] == 1


def test_a_second_press_right_after_a_decision_is_refused(db, monkeypatch):
    monkeypatch.setenv("LABELER_MIN_DWELL_MS", "60000")  # as if pressed at once
    at = start()
    first = at.session_state["current"]
    press(at, "G")
    store = Store(db)
    assert store.reviews.of(first.passage_id) == []  # too soon even for the first
    assert "on screen for under 60 s" in at.toast[0].value
    assert at.session_state["current"] == first  # the same passage stays on screen


def test_a_note_belongs_to_one_decision(db):
    at = start()
    note_box(at).input("Yes graphic").run()
    press(at, "G")
    assert note_box(at).value == ""
    press(at, "Y")
    press(at, "N")
    store = Store(db)
    notes = store.db.execute("SELECT note FROM reviews ORDER BY id").fetchall()
    assert [n[0] for n in notes] == ["Yes graphic", None, None]


def test_a_note_typed_after_a_reload_stays_when_the_queue_is_chosen_again(db):
    """A reload serves the passage held, in the default queue; the reviewer types a note,
    then chooses their queue again, which serves that passage under a new claim: the box
    still holds the note, and the decision is saved with it."""
    held = start().session_state["current"]
    at = app()  # the reload: a new session, the name given again, the default queue
    at.sidebar.text_input(key="reviewer").input("ana").run()
    assert at.session_state["current"] == held
    note_box(at).input("checked the wire copy").run()
    at.sidebar.radio(key="order").set_value("Document order").run()
    shown = at.session_state["current"]
    assert shown.passage_id == held.passage_id and shown.token != held.token
    assert note_box(at).value == "checked the wire copy"
    press(at, "G")
    assert note_box(at).value == ""  # the next passage's box
    rows = Store(db).db.execute("SELECT passage_id, note FROM reviews").fetchall()
    assert [tuple(r) for r in rows] == [(held.passage_id, "checked the wire copy")]


def test_each_decisions_note_box_starts_empty_and_keeps_only_its_note(db):
    """Notes on two decisions in a row: after each, the next passage's box is empty, and
    each note is saved with its own decision only. A passage undone comes back with an
    empty box too, to be decided again (a note typed for the passage left goes)."""
    at = start()
    note_box(at).input("first note").run()
    press(at, "G")
    assert note_box(at).value == ""
    note_box(at).input("second note").run()
    press(at, "V")
    assert note_box(at).value == ""  # the second decision's next box starts empty too
    note_box(at).input("left for Undo").run()
    press_undo(at)  # back to the second passage, to decide it again
    assert note_box(at).value == ""
    notes = Store(db).db.execute("SELECT note FROM reviews ORDER BY id").fetchall()
    assert [n[0] for n in notes] == ["first note", "second note", None]


def test_a_note_stays_when_another_queue_serves_the_same_passage(db):
    """No reload: a note typed, then another queue chosen whose first passage is the same
    one (served again under a new claim): the box keeps the note."""
    at = start()
    first = at.session_state["current"]
    note_box(at).input("half a thought").run()
    at.sidebar.radio(key="order").set_value("Highest score first").run()
    shown = at.session_state["current"]
    assert shown.passage_id == first.passage_id and shown.token != first.token
    assert note_box(at).value == "half a thought"


def test_a_note_is_not_carried_to_another_passage(db):
    """A note typed, then a queue chosen that serves another passage: the box is empty,
    and that passage's decision is stored without the note (it was about the first)."""
    at = start()
    first = at.session_state["current"]
    note_box(at).input("about the first passage").run()
    at.sidebar.radio(key="order").set_value("Most uncertain first").run()
    shown = at.session_state["current"]
    assert shown.passage_id != first.passage_id
    assert note_box(at).value == ""
    press(at, "Y")
    assert [r.note for r in Store(db).reviews.of(shown.passage_id)] == [None]


def test_counters_agree_after_skips_and_undos(db):
    at = start()
    press(at, "G")
    press(at, "S")
    press_undo(at)  # the skip undone: back to that passage
    press(at, "Y")
    line = progress_line(at)
    assert "Labelled 2 ·" in line and "labelled by you 2" in line and "skipped 0" in line
    press(at, "S")
    assert "Labelled 2 ·" in progress_line(at) and "skipped 1" in progress_line(at)
    assert "waiting 0" in progress_line(at)


def test_untrusted_passage_text_is_escaped(db):
    at = start()
    press(at, "S")
    press(at, "S")  # third passage: the XSS one
    html = "".join(m.value for m in at.markdown)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_empty_queue_tells_nothing_waiting_from_only_skipped_left(db):
    at = start()
    for _ in range(3):
        press(at, "S")
    assert "3 skipped passages are still unlabelled" in at.success[0].value
    at.sidebar.radio(key="order").set_value("Skipped passages").run()
    for _ in range(3):
        press(at, "N")
    assert "No skipped passages are left" in at.success[0].value
    at.sidebar.radio(key="order").set_value("Document order").run()
    assert "Nothing is waiting: every passage in this queue has a label" in at.success[0].value


def test_the_reviewer_name_survives_a_reload(db):
    at = start("carla")
    assert at.query_params["reviewer"] in ("carla", ["carla"])
    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    reloaded.query_params["reviewer"] = "carla"
    reloaded.run()
    assert reloaded.sidebar.text_input(key="reviewer").value == "carla"
    press(reloaded, "N")
    reviewers = Store(db).db.execute("SELECT reviewer FROM reviews").fetchall()
    assert [r[0] for r in reviewers] == ["carla"]


def test_statistics_page(db):
    store = Store(db)
    decide(store, 1, "ana", "confirm")
    decide(store, 1, "ben", "correct", NOT_VIOLENT)
    store.close()
    at = app()
    at.sidebar.radio(key="page").set_value("Statistics").run()
    assert not at.exception
    figures = at.dataframe[0].value  # n beside every figure; one passage is too few for any
    assert figures["n"].tolist() == [1, 1, 1, 0, 1, 1]
    assert set(figures["estimate"]) == {"too few to say"}
    assert at.dataframe[-1].value["passage"].tolist() == [1]  # numbered from 1 for people


def test_statistics_without_disagreements_says_so(db):
    store = Store(db)
    decide(store, 1, "ana", "confirm")
    store.close()
    at = app()
    at.sidebar.radio(key="page").set_value("Statistics").run()
    assert "No disagreements yet" in at.info[0].value


def test_statistics_page_shows_a_passages_review_history_with_notes_escaped(db):
    store = Store(db)
    decide(store, 1, "ana", "confirm", note="<script>alert(1)</script> **x** $y$")
    undo_last(store, "ana")
    decide(store, 1, "ben <b>", "correct", NOT_VIOLENT, note="calm")
    decide(store, 1, "cy", "correct", GRAPHIC)
    store.close()
    at = app()
    at.sidebar.radio(key="page").set_value("Statistics").run()
    assert not at.exception
    html = at.main.markdown[-1].value
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]
    assert [row[1:3] + row[4:] for row in rows[1:]] == [
        ["ana", "confirm (undone)", "&lt;script&gt;alert(1)&lt;/script&gt; **x** &#36;y&#36;"],
        ["ana", "undo", ""],
        ["ben &lt;b&gt;", "correct", "calm"],
        ["cy", "correct", ""],
    ]
    assert [row[3] for row in rows[3:]] == ["not violent", "graphic"]  # spelled out
    assert "d1 · passage 1" in at.main.markdown[-2].value


def test_queue_order_and_filters(db):
    at = start()
    at.sidebar.radio(key="order").set_value("Highest score first").run()
    first = Store(db).documents.passage(at.session_state["current"].passage_id)
    assert "violence" in first["flags"]
    at.selectbox(key="f_label").set_value("graphic").run()
    at.slider(key="f_band").set_value((0.0, 0.05)).run()
    assert "Nothing is waiting" in at.success[0].value  # no graphic flag scores that low


def test_export_downloads_reviewed_passages(db, monkeypatch):
    """The files the download buttons hand to the browser hold the reviewed passage."""
    import csv
    import io
    import json

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    keep = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        served[filename] = data if isinstance(data, bytes) else data.encode("utf-8")
        return keep(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    store = Store(db)
    decide(store, 1, "ana", "correct", GRAPHIC, note="a note")
    store.close()
    at = app()
    at.sidebar.radio(key="page").set_value("Import & export").run()
    assert not at.exception
    assert "1 reviewed passages" in at.caption[0].value
    (row,) = list(csv.DictReader(io.StringIO(served["reviewed.csv"].decode("utf-8"))))
    assert row["id"] == "d1#0" and row["text"] == "Gunmen shot dead eleven villagers."
    assert (row["violence"], row["graphic"], row["severity"]) == ("1", "1", "3")
    assert row["reviewer"] == "ana" and row["note"] == "a note"
    (line,) = served["reviewed.jsonl"].decode("utf-8").splitlines()
    record = json.loads(line)
    assert record["id"] == "d1#0" and record["graphic"] == 1 and record["note"] == "a note"


def test_correction_with_severity_and_a_note(db):
    at = start()
    note_box(at).input("mentions the massacre only").run()
    press(at, "P")
    store = Store(db)
    (review,) = store.reviews.of(1)
    assert review.labels == IN_PASSING
    note = store.db.execute("SELECT note FROM reviews WHERE id = ?", (review.id,)).fetchone()[0]
    assert note == "mentions the massacre only"


def oidc_app(user: dict | None = None) -> AppTest:
    """The app with st.login configured (secrets [auth]), as ``user`` (default: logged out)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = user or {"is_logged_in": False}
    at.run()
    return at


def test_login_is_offered_when_oidc_is_configured(db):
    at = oidc_app()
    assert not at.exception
    assert at.sidebar.button(key="login").label == "Log in"
    assert "Log in" in at.info[0].value


def test_with_oidc_configured_no_page_shows_or_takes_anything_before_login(db):
    at = oidc_app()
    for page in ["Review", "Statistics", "Model", "Import & export"]:
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception
        (info,) = at.info
        assert info.value == "Log in (button in the sidebar) to use the dashboard."
        assert not at.sidebar.text_input  # no name box: nobody can claim to be someone
        assert not at.get("file_uploader") and not at.get("download_button")
        assert not at.dataframe and not at.markdown and not at.main.button


def test_with_oidc_admin_rights_follow_the_logged_in_user(db, monkeypatch):
    monkeypatch.setenv("LABELER_ADMINS", "boss@example.com")
    at = oidc_app({"is_logged_in": True, "email": "ana@example.com"})
    at.sidebar.radio(key="page").set_value("Model").run()
    assert "for admins" in at.info[0].value and not at.main.button
    assert not at.sidebar.text_input  # the Model page used to take a typed name here
    at.user = {"is_logged_in": True, "email": "boss@example.com"}
    at.run()
    assert at.button(key="retrain").label == "Retrain with reviews"


def test_upload_scores_files_into_the_store_and_reports_bad_records(db):
    at = app()
    at.sidebar.radio(key="page").set_value("Import & export").run()
    good = b'{"id": "u1", "text": "Soldiers shot two protesters."}\nnot json\n'
    at.file_uploader(key="uploads").upload(
        "wire <b>feed</b>.jsonl", good, "application/jsonl"
    ).run()
    at.button(key="score_uploads").click().run()
    assert not at.exception
    assert "Scored 1 documents" in at.success[0].value
    assert "1 records could not be scored" in at.error[0].value
    assert "wire <b>feed</b>.jsonl:2: malformed JSON" in at.code[-1].value  # inert text
    assert documents(db)[-1] == ("u1", "wire <b>feed</b>.jsonl")  # not the temporary copy


def documents(db) -> list[tuple[str, str]]:
    store = Store(db)
    rows = store.db.execute("SELECT record_id, source_path FROM documents ORDER BY id").fetchall()
    store.close()
    return [tuple(row) for row in rows]


def upload_page(files: list[tuple[str, bytes]]) -> AppTest:
    """The Import & export page with ``files`` uploaded, not yet scored."""
    at = app()
    at.sidebar.radio(key="page").set_value("Import & export").run()
    uploader = at.file_uploader(key="uploads")
    for name, data in files:
        uploader.upload(name, data)
    uploader.run()
    return at


def upload(files: list[tuple[str, bytes]]) -> AppTest:
    """Upload ``files`` on the Import & export page and press the button."""
    at = upload_page(files)
    at.button(key="score_uploads").click().run()
    assert not at.exception
    return at


def test_upload_of_a_binary_file_named_txt_is_refused_clearly(db):
    before = documents(db)
    at = upload([("photo.txt", b"\x89PNG\r\n\x1a\n\0\0binary")])
    assert "Nothing stored" in at.error[0].value and not at.success
    assert "1 records could not be scored" in at.error[1].value
    assert "photo.txt: binary file" in at.code[-1].value
    assert documents(db) == before


@pytest.mark.parametrize(
    "name, data",
    [
        ("setup.exe", b"MZ\x90\0\x03\0\0\0"),
        ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
        ("story.txt.gz", b"\x1f\x8b\x08\0"),
        ("no suffix", b"Gunmen shot two men."),
        ("x.[a](http://127.0.0.1:9/phish) ![t](http://127.0.0.1:9/t.png)", b"shot"),
    ],
)
def test_upload_of_a_disallowed_type_is_refused_by_the_server(db, name, data):
    """The browser's type filter is advisory; a crafted upload is refused on the server:
    by Streamlit's own check of the file_uploader types (1.5x and later), else by the app's,
    which names the file. Either way nothing is stored."""
    before = documents(db)
    at = app()
    at.sidebar.radio(key="page").set_value("Import & export").run()
    at.file_uploader(key="uploads").upload(name, data).run()
    if at.exception:
        assert "Invalid file extension" in at.exception[0].value
    else:
        at.button(key="score_uploads").click().run()
        (error,) = at.error
        assert error.value.startswith("Not imported: only .csv, .htm, .html")
        assert at.code[0].value == name  # named in a code block: a name is never markdown
    assert not at.success and documents(db) == before


def test_oversize_upload_is_refused_and_nothing_is_stored(db):
    before = documents(db)
    at = upload([("huge.txt", b"Gunmen shot two men. " * (50 * 2**20 // 21 + 1))])
    (error,) = at.error
    assert error.value == "Not imported: 50.0 MB is over the 50 MB limit"
    assert at.code[0].value == "huge.txt" and documents(db) == before


def test_uploaded_documents_are_stored_under_the_uploaded_name_once(db):
    name = "wire <img src=x onerror=alert(1)> 'x'; DROP TABLE reviews; --.txt"
    before = documents(db)
    upload([(name, b"Soldiers shot two protesters."), ("feed.jsonl", b'{"text": "calm"}\n')])
    upload([(name, b"Soldiers shot two protesters.")])  # again: nothing new
    assert documents(db) == [*before, (name, name), ("feed.jsonl:1", "feed.jsonl")]


def test_model_page_shows_the_card_and_keeps_actions_for_admins(db, monkeypatch):
    at = app()
    at.sidebar.radio(key="page").set_value("Model").run()
    assert not at.exception
    assert at.header[0].value.startswith("Model ")
    assert at.caption[0].value == "shipped with the package"  # no "trained ?": it has no date
    captions = [c.value for c in at.caption]
    assert "violence: precision-recall on the test split" in captions
    assert "for admins" in at.info[0].value and not at.button
    versions = at.dataframe[-1].value
    assert versions["where"].tolist() == ["shipped with the package"]  # never "empty"
    assert {"label", "source", "passages", "positives", "AUPRC"} <= set(at.dataframe[0].value)
    monkeypatch.setenv("LABELER_ADMINS", "ana, boss")
    at.sidebar.text_input(key="reviewer").input("ana").run()
    assert at.button(key="retrain").label == "Retrain with reviews"


def shipped_model_as(directory, version: str):
    """A copy of the shipped model whose card names another version (the artifact's hash
    still matches: the card vouches for model.npz, not for itself)."""
    import json
    import shutil

    shutil.copytree(ROOT / "labeler" / "models" / "default", directory)
    card = json.loads((directory / "card.json").read_text())
    card["version"] = version
    (directory / "card.json").write_text(json.dumps(card))
    return directory


def test_model_page_says_where_the_model_comes_from_when_labeler_model_is_set(
    db, tmp_path, monkeypatch
):
    """The bug of issue 12: the page said "shipped with the package" for any model."""
    elsewhere = shipped_model_as(tmp_path / "elsewhere", "from-elsewhere")
    monkeypatch.setenv("LABELER_MODEL", str(elsewhere))
    at = app()
    at.sidebar.radio(key="page").set_value("Model").run()
    assert not at.exception
    assert at.header[0].value == "Model from-elsewhere"
    assert at.caption[0].value.startswith(f"from LABELER_MODEL ({elsewhere})")
    assert "shipped with the package" not in at.caption[0].value


def test_uploads_are_scored_by_the_current_model_not_always_the_shipped_one(
    db, tmp_path, monkeypatch
):
    current = shipped_model_as(tmp_path / "model", "promoted-by-the-desk")
    monkeypatch.setenv("LABELER_MODEL", str(current))  # as `labeler models promote` would
    upload([("wire.txt", b"Soldiers shot two protesters.")])
    store = Store(db)
    (version,) = store.db.execute(
        "SELECT DISTINCT s.model FROM scores s JOIN passages p ON p.id = s.passage_id"
        " JOIN documents d ON d.id = p.document_id WHERE d.record_id = 'wire.txt'"
    ).fetchone()
    store.close()
    assert version == "promoted-by-the-desk"


def test_an_editor_accepts_or_edits_the_documents_warning_and_export_carries_it(db, tmp_path):
    import io
    import json

    from labeler.store.export import export

    at = start()
    shown = Store(db).documents.passage(at.session_state["current"].passage_id)
    assert shown["record_id"] == "d1"
    assert at.code[0].value.startswith("Contains descriptions of violence")  # the suggestion
    at.text_input(key=f"wt-{shown['document_id']}").input("Contains a shooting").run()
    at.button(key=f"ws-{shown['document_id']}").click().run()
    note_box(at).input("a plain report").run()
    press(at, "V")
    store = Store(db)
    ((level, line, reviewer),) = store.db.execute(
        "SELECT level, warning, reviewer FROM document_reviews"
    ).fetchall()
    assert (level, line, reviewer) == ("violence", "Contains a shooting", "ana")
    out = io.StringIO()
    assert export(db, None, "jsonl", out) == 1
    row = json.loads(out.getvalue())
    assert row["note"] == "a plain report" and row["warning"]["text"] == "Contains a shooting"

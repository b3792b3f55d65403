"""Evidence a reader would point at (issue 18 §1): phrases of the evidence lexicon, per
label, for passages flagged or to review; measured on the span-annotated set."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.evidence import EVIDENCE_FILE, Lexicon, is_function_word
from labeler.model import ModelError, load_model, save_model
from labeler.scoring import score_documents, score_text
from training.evidence_eval import SPANS, measure, passage_evidence, read_annotated

from .conftest import ROOT

# Measured on the shipped model: precision 0.755, recall 0.571 (README "Evidence"); the
# evidence before the lexicon had 0.368 and 0.634, with 26 function-word terms.
PRECISION_FLOOR = 0.73
RECALL_FLOOR = 0.55


def lexicon(entries: dict[str, tuple[float, float]], support: tuple[str, ...] = ()) -> Lexicon:
    """A hand-made lexicon: phrase -> (violence weight, graphic weight); every phrase
    weighing for a label is a seed for it, but those in ``support``."""
    weights = np.array(list(entries.values()), dtype=float).T
    seeds = (weights > 0) & np.array([p not in support for p in entries])
    return Lexicon(list(entries), weights, seeds)


@pytest.fixture(scope="module")
def measured(model):
    annotated = read_annotated(SPANS)
    return annotated, measure(annotated, passage_evidence(annotated, model))


def test_evidence_points_at_what_readers_mark(measured):
    annotated, m = measured
    assert len(annotated) >= 300 and m.phrases >= 500
    assert m.precision >= PRECISION_FLOOR, m
    assert m.recall >= RECALL_FLOOR, m


def test_no_evidence_term_is_function_words_alone(measured):
    assert measured[1].function_words == ()


def test_the_shipped_model_has_its_lexicon(model):
    assert model.evidence is not None and model.lexicon is model.evidence
    assert {"burnt alive", "stabbed to death"} <= set(model.evidence.phrases)
    text = "Those who were buried alive were accused of fleeing."
    terms = [e["term"] for e in score_text(text, model=model)["passages"][0]["evidence"]]
    assert "buried alive" in terms


def test_phrases_not_stray_words(model):
    text = "Witnesses said he was buried alive, and two others were stabbed to death in Iraq."
    terms = {e["term"] for e in score_text(text, model=model)["passages"][0]["evidence"]}
    assert "stabbed to death" in terms and "iraq" not in terms and "he" not in terms


def test_a_passage_to_review_gets_evidence_without_a_flag(model):
    text = "Gunmen stormed the village at dawn and shot dead eleven people."
    never = {"violence": 1.0, "graphic": 1.0}  # nothing reaches a flag threshold of 1
    p = score_documents([("d", text)], model, never)[0]["passages"][0]
    assert p["flags"] == [] and "violence" in p["review"]
    assert {e["label"] for e in p["evidence"]} == {"violence"} <= set(p["review"])
    assert [e["term"] for e in p["evidence"]] == ["gunmen", "shot dead"]


def test_adjacent_matches_merge_into_one_span():
    lex = lexicon({"killed": (2.0, 0.0), "wounded": (1.5, 0.0), "cut off": (1.0, 2.0)})
    text = "Nine were killed and wounded; they cut off his hands."
    spans = lex.spans(text, "violence")
    assert [(p.text, p.weight) for p in spans] == [("killed and wounded", 3.5), ("cut off", 1.0)]
    assert [p.text for p in lex.spans(text, "graphic")] == ["cut off"]  # kept per label


def test_punctuation_keeps_matches_apart_and_numbers_never_stand_alone():
    lex = lexicon({"shot": (2.0, 0.0), "killed": (2.0, 0.0)})
    text = "Three were shot, 12 killed. Shot 40 killed."
    assert [p.text for p in lex.spans(text, "violence")] == ["shot", "killed", "Shot 40 killed"]


def test_support_joins_the_seed_it_touches_and_is_never_evidence_alone():
    lex = lexicon({"buried": (0.5, 0.5), "alive": (1.0, 2.0), "grave": (0.5, 0.0)}, ("buried",))
    text = "He was buried alive. They buried him; buried in the alive-grave."
    assert [p.text for p in lex.spans(text, "graphic")] == ["buried alive", "alive"]
    assert [p.weight for p in lex.spans(text, "graphic")] == [2.5, 2.0]


def test_longest_phrase_wins():
    lex = lexicon({"burnt": (1.0, 1.0), "burnt alive": (0.0, 3.0)})
    assert [p.text for p in lex.spans("Ten were burnt alive.", "graphic")] == ["burnt alive"]
    assert [p.text for p in lex.spans("Ten were burnt alive.", "violence")] == ["burnt"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["shot", "the", "dead", ",", "12", "he", "Shot", "to"]), max_size=30)
)
def test_spans_slice_the_text_and_start_and_end_on_content_words(words):
    text = " ".join(words)
    lex = lexicon({"shot": (1.0, 0.0), "shot dead": (2.0, 0.0), "dead": (0.5, 0.0)})
    for p in lex.spans(text, "violence"):
        assert text[p.start : p.end] == p.text and p.weight > 0
        words = p.text.lower().split()
        assert not is_function_word(words[0]) and not is_function_word(words[-1])


def test_lexicon_round_trips_through_the_model_directory(model, tmp_path):
    save_model(model, tmp_path / "m")
    assert (tmp_path / "m" / EVIDENCE_FILE).is_file()
    loaded = load_model(tmp_path / "m")
    assert loaded.evidence is not None and loaded.evidence.phrases == model.evidence.phrases
    assert np.array_equal(loaded.evidence.weights, model.evidence.weights)


def test_a_tampered_lexicon_is_refused(model, tmp_path):
    save_model(model, tmp_path / "m")
    lexicon_file = tmp_path / "m" / EVIDENCE_FILE
    with lexicon_file.open("wb") as f:
        np.savez(f, phrases=np.array(["the"]), weights=np.ones((2, 1)), seeds=np.ones((2, 1), bool))
    with pytest.raises(ModelError, match="does not match"):
        load_model(tmp_path / "m")


def test_a_lexicon_of_the_wrong_shape_is_refused_even_when_vouched_for(model, tmp_path):
    from labeler.model import save_evidence

    save_model(model, tmp_path / "m")
    bad = Lexicon.__new__(Lexicon)
    bad.phrases, bad.weights, bad.seeds = ["shot"], np.ones((1, 1)), np.ones((1, 1), bool)
    save_evidence(bad, tmp_path / "m")
    with pytest.raises(ModelError, match=r"evidence\.npz: weights has shape \(1, 1\)"):
        load_model(tmp_path / "m")


def test_a_model_without_a_lexicon_explains_with_its_heaviest_content_terms(model, tmp_path):
    save_model(model, tmp_path / "m")
    card_path = tmp_path / "m" / "card.json"
    card = json.loads(card_path.read_text())
    del card["evidence"]
    card_path.write_text(json.dumps(card))
    (tmp_path / "m" / EVIDENCE_FILE).unlink()
    old = load_model(tmp_path / "m")
    assert old.evidence is None
    own = old.lexicon
    assert 0 < len(own.phrases) < len(old.tfidf.terms) // 50
    assert not any(all(is_function_word(w) for w in p.split()) for p in own.phrases)
    record = score_text("Gunmen shot dead eleven villagers.", model=old)
    assert record["passages"][0]["evidence"]


def test_evidence_eval_prints_the_figures(tmp_path):
    """The command the README gives prints precision, recall and the function-word count
    (here on the set's first 20 passages; the whole set is measured above)."""
    few = tmp_path / "spans.jsonl"
    few.write_text("".join(SPANS.read_text(encoding="utf-8").splitlines(True)[:20]))
    out = subprocess.run(
        [sys.executable, "-m", "training.evidence_eval", str(few)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "passages: 20," in out and "precision: " in out and "recall: " in out
    assert "function-word terms: 0 (none)" in out

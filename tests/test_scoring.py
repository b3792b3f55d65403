import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler import score_text
from labeler.labels import LABELS

from .conftest import EXAMPLE

RECORD_KEYS = {"id", "scores", "flags", "review", "severity", "warning", "passages", "model"}
PASSAGE_KEYS = {
    "index",
    "start",
    "end",
    "text",
    "scores",
    "flags",
    "review",
    "severity",
    "scorer",
    "evidence",
}


@pytest.fixture(scope="module")
def article(model):
    return score_text(EXAMPLE.read_text(encoding="utf-8"), "isis", model)


def _passage(record, words):
    return next(p for p in record["passages"] if all(w in p["text"] for w in words))


def test_example_burial_and_shooting_passages_are_flagged(article):
    assert "violence" in _passage(article, ["buried alive dozens"])["flags"]
    assert "violence" in _passage(article, ["shot and killed dozens"])["flags"]


def test_example_icon_junk_is_kept_and_not_flagged(article):
    junk = article["passages"][0]
    assert junk["text"].startswith("icon bookmark")
    assert junk["flags"] == [] and junk["evidence"] == []
    assert junk["scores"] == {"violence": 0.0, "graphic": 0.0} and junk["severity"] == 0


def test_record_schema_and_document_aggregates(article, model):
    assert set(article) == RECORD_KEYS and article["model"] == model.version
    for p in article["passages"]:
        assert set(p) == PASSAGE_KEYS
    for label in ("violence", "graphic"):
        assert article["scores"][label] == max(p["scores"][label] for p in article["passages"])
    assert article["severity"] == max(p["severity"] for p in article["passages"])
    assert set(article["flags"]) == {f for p in article["passages"] for f in p["flags"]}
    assert set(article["review"]) == {f for p in article["passages"] for f in p["review"]}


def test_review_is_a_superset_of_flags_and_names_its_scorer(article, model):
    """Every flagged label is to review; passages the screen cleared are the word model's
    and go nowhere; the rest the sentence model scored, against its review thresholds."""
    review_at = model.review_thresholds
    calm = "Thanks for sharing, I love this song so much!"
    mixed = score_text(f"{calm}\n\nGunmen shot dead three villagers at dawn.", model=model)
    assert [p["scorer"] for p in mixed["passages"]] == ["words", "sentence"]
    for p in article["passages"] + mixed["passages"]:
        assert set(p["flags"]) <= set(p["review"])
        if p["scorer"] == "words":
            assert p["review"] == [] and p["flags"] == []
        else:
            expected = {label for label in LABELS if p["scores"][label] >= review_at[label]}
            if "graphic" in expected:
                expected.add("violence")
            assert set(p["review"]) == expected | set(p["flags"])
    assert any(set(p["review"]) > set(p["flags"]) for p in article["passages"]), "no near miss"


def test_fast_mode_is_the_word_model_alone(model):
    fast = model.words_only()
    record = score_text(EXAMPLE.read_text(encoding="utf-8"), "isis", fast)
    assert record["model"] == model.version + "+words"
    assert {p["scorer"] for p in record["passages"]} == {"words"}
    assert fast.thresholds == model.card["words"]["thresholds"] != model.thresholds


def test_every_flag_has_evidence_with_exact_spans(article, model):
    flagged = [p for p in article["passages"] if p["flags"]]
    assert flagged
    # the headline, flagged violence, is explained by graphic "alive"; the sentence model may
    # flag what no lexicon phrase says ("confirmed the slaying"): most flags, not all
    assert sum(bool(p["evidence"]) for p in flagged) >= 0.8 * len(flagged)
    for p in article["passages"]:
        assert {e["label"] for e in p["evidence"]} <= set(p["review"])
        for e in p["evidence"]:
            phrase = p["text"][e["start"] : e["end"]]
            assert e["term"] == " ".join(phrase.lower().split()) and e["weight"] > 0
            assert re.match(r"\w", phrase) and re.search(r"\w$", phrase)


HARD_NEGATIVES = [
    "How do I kill the process that is hogging my CPU?",
    "The team crushed its rivals 5-0 in Saturday's final.",
    "They are shooting a film in the old town next month.",
    "Analysts call the new messaging service a killer app.",
    "Violence is never the answer, the mayor said.",
]
PLAIN_VIOLENCE = [
    "Gunmen stormed the village at dawn and shot dead eleven people, including two children.",
    "The mob dragged him from the car and beat him with iron rods until he stopped moving.",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_are_not_flagged(model, text):
    assert score_text(text, model=model)["flags"] == []


@pytest.mark.parametrize("text", PLAIN_VIOLENCE)
def test_plain_violent_news_is_flagged(model, text):
    assert "violence" in score_text(text, model=model)["flags"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_scores_with_valid_offsets(model, text):
    record = score_text(text, model=model)
    for p in record["passages"]:
        assert text[p["start"] : p["end"]] == p["text"]
        assert 0 <= p["severity"] <= 3
        for e in p["evidence"]:
            assert 0 <= e["start"] < e["end"] <= len(p["text"])


def _shingles(text, n=5):
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def test_behaviour_sentences_are_not_in_the_training_data():
    from labeler.learn.dataset import load_rows

    from .conftest import DATA

    seen = set().union(*(_shingles(r.text) for r in load_rows(DATA)))
    for param in HARD_NEGATIVES + PLAIN_VIOLENCE:
        assert not _shingles(param) & seen, param

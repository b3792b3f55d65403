import json
import shutil

import numpy as np
import pytest

from labeler.model import (
    CARD_FILE,
    MODEL_FILE,
    ModelError,
    default_model_dir,
    load_model,
    sha256_of,
)


def test_shipped_model_matches_its_card(model):
    card = json.loads((default_model_dir() / CARD_FILE).read_text())
    assert model.version == card["version"]
    assert card["artifact"]["sha256"] == sha256_of(default_model_dir() / MODEL_FILE)
    assert set(model.thresholds) == {"violence", "graphic"}
    assert (default_model_dir() / MODEL_FILE).stat().st_size < 4 * 1024 * 1024


def test_scores_are_probabilities_and_zero_without_a_word(model):
    """A passage without a word token scores 0; any word, even one no training text holds,
    is scored (the embedding part knows its tokens)."""
    p = model.predict_proba(["Gunmen shot three villagers dead.", "", "§§ ¶¶ 1 ...", "zzqx"])
    assert p.shape == (4, 2)
    assert ((p >= 0) & (p <= 1)).all()
    assert np.all(p[1:3] == 0) and p[3, 0] > 0


def _copy_model(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(default_model_dir(), target)
    return target


def test_tampered_artifact_is_refused_before_loading(tmp_path):
    target = _copy_model(tmp_path)
    with (target / MODEL_FILE).open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError, match="sha256 .* does not match"):
        load_model(target)


def test_python_objects_in_a_model_file_are_refused_even_with_a_matching_hash(tmp_path):
    target = _copy_model(tmp_path)
    with np.load(target / MODEL_FILE) as arrays:
        parts = dict(arrays)
    parts["terms"] = np.array([print, "kill"], dtype=object)  # would need pickle to load
    with (target / MODEL_FILE).open("wb") as f:
        np.savez(f, **parts)
    card = json.loads((target / CARD_FILE).read_text())
    card["artifact"]["sha256"] = sha256_of(target / MODEL_FILE)
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="refusing to load: Object arrays cannot be loaded"):
        load_model(target)


def test_exported_tfidf_only_model_scores_exactly_like_the_sklearn_estimators():
    from labeler.learn.dataset import load_rows
    from labeler.learn.training import fit

    from .conftest import DATA

    fitted = fit(DATA, rows=load_rows(DATA)[::10], embeddings=False)
    probe = ["the mob shot two protesters", "rain in the final", "killed", "no one was hurt"]
    X = fitted.featurize(probe)
    for j, label in enumerate(("violence", "graphic")):
        expected = fitted.classifiers[label].predict_proba(X)[:, 1]
        np.testing.assert_allclose(fitted.model.predict_proba(probe)[:, j], expected, rtol=1e-6)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)


@pytest.mark.parametrize(
    "text, never",
    [
        ("Rioters burned cars in the city, but no one was injured, police said.", "injured"),
        ("She said the soldiers had shot her brother in Baghdad.", "said"),
        ("She said the soldiers had shot her brother in Baghdad.", "her"),
        ("She said the soldiers had shot her brother in Baghdad.", "baghdad"),
        ("Troops fired on protesters to disperse them in the city.", "to"),
        ("Troops fired on protesters to disperse them in the city.", "city"),
        ("Militants in Iraq killed two guards and wounded a third.", "iraq"),
    ],
)
def test_evidence_never_shows_function_words_places_or_negated_terms(model, text, never):
    from labeler.scoring import score_documents

    everywhere = {lb: 0.0 for lb in ("violence", "graphic")}  # every label flagged
    passage = score_documents([("x", text)], model, everywhere)[0]["passages"][0]
    terms = [e["term"] for e in passage["evidence"]]
    assert terms, "flagged passage without evidence"
    assert all(never not in t.split(" ") for t in terms), terms


def test_evidence_is_grouped_by_label_and_credits_words_only_the_embeddings_know(model):
    from labeler.scoring import score_documents

    text = "The garrotted guard slumped and the disembowelled prisoner bled out on the floor."
    everywhere = {lb: 0.0 for lb in ("violence", "graphic")}
    evidence = score_documents([("x", text)], model, everywhere)[0]["passages"][0]["evidence"]
    labels = [e["label"] for e in evidence]
    assert labels == sorted(labels, key=("violence", "graphic").index)
    for e in evidence:
        assert text[e["start"] : e["end"]].lower() == e["term"] or " " in e["term"]
    unseen = {"garrotted", "disembowelled"}  # in no training text: only the embeddings know
    assert not unseen & set(model.tfidf.terms) and not unseen & set(model._fast.words())
    assert unseen & {e["term"] for e in evidence}


def test_threshold_accepts_an_operating_point_name(model):
    from labeler.scoring import score_documents

    text = "He was beaten outside the bar."
    review = model.operating_points("review")
    assert all(review[lb] <= model.thresholds[lb] for lb in review)
    record = score_documents([("x", text)], model, {"violence": "review"})[0]
    p = record["passages"][0]
    assert ("violence" in p["flags"]) == (p["scores"]["violence"] >= review["violence"])
    assert ("violence" in p["review"]) == (p["scores"]["violence"] >= review["violence"])


def test_csv_carries_each_labels_evidence():
    from labeler.batch.writers import csv_passages
    from labeler.scoring import score_documents

    text = "The mob beat him with iron rods; his skull was crushed and blood pooled."
    record = score_documents([("x", text)], None, {"violence": 0.0, "graphic": 0.0})[0]
    row = csv_passages(record, lambda p: True)
    evidence = record["passages"][0]["evidence"]
    for label in ("violence", "graphic"):
        for term in {e["term"] for e in evidence if e["label"] == label}:
            assert term in row

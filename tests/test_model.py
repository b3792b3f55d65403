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


def test_scores_are_probabilities_and_zero_without_known_terms(model):
    p = model.predict_proba(["Gunmen shot three villagers dead.", "", "§§ ¶¶ 123", "zzqx"])
    assert p.shape == (4, 2)
    assert ((p >= 0) & (p <= 1)).all()
    assert np.all(p[1:] == 0)


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


def test_exported_model_scores_exactly_like_the_sklearn_estimators():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    from labeler.features import make_vectorizer
    from labeler.model import Model

    texts = [
        "troops shot the protesters",
        "the market rallied",
        "a mob burnt the bus",
        "rain is expected",
        "gunmen killed two",
        "the team won the final",
    ] * 5
    y = np.array([1, 0, 1, 0, 1, 0] * 5)
    vectorizer = make_vectorizer().fit(texts)
    X = vectorizer.transform(texts)
    clfs = {
        label: CalibratedClassifierCV(LogisticRegression(), cv=3, ensemble=False).fit(X, y)
        for label in ("violence", "graphic")
    }
    model = Model.from_sklearn(vectorizer, clfs, {})
    probe = ["the mob shot two protesters", "rain in the final", "killed"]
    expected = clfs["violence"].predict_proba(vectorizer.transform(probe))[:, 1]
    np.testing.assert_allclose(model.predict_proba(probe)[:, 0], expected, rtol=1e-6)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)


def test_exported_model_with_embeddings_scores_exactly_like_sklearn_on_hstacked_features():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    from labeler.embeddings import StaticEmbeddings
    from labeler.features import make_vectorizer
    from labeler.model import Model
    from labeler.training import Featurizer

    texts = [
        "troops shot the protesters",
        "the market rallied",
        "a mob burnt the bus",
        "rain is expected",
        "gunmen killed two",
        "the team won the final",
    ] * 5
    y = np.array([1, 0, 1, 0, 1, 0] * 5)
    emb = StaticEmbeddings()
    featurize = Featurizer(make_vectorizer().fit(texts), emb, scale=2.0)
    X = featurize(texts)
    clfs = {
        label: CalibratedClassifierCV(LogisticRegression(), cv=3, ensemble=False).fit(X, y)
        for label in ("violence", "graphic")
    }
    card = {"embeddings": {"sha256": emb.sha256}}
    model = Model.from_sklearn(featurize.vectorizer, clfs, card, emb.dim, 2.0)
    probe = ["the mob shot two protesters", "rain in the final", "killed"]
    expected = clfs["violence"].predict_proba(featurize(probe))[:, 1]
    np.testing.assert_allclose(model.predict_proba(probe)[:, 0], expected, rtol=1e-5)


@pytest.mark.parametrize(
    "text, never",
    [
        ("Rioters burned cars in the city, but no one was injured, police said.", "injured"),
        ("She said the soldiers had shot her brother in Baghdad.", "said"),
        ("She said the soldiers had shot her brother in Baghdad.", "her"),
        ("She said the soldiers had shot her brother in Baghdad.", "baghdad"),
        ("Troops fired on protesters to disperse them in the city.", "to"),
        ("Troops fired on protesters to disperse them in the city.", "city"),
    ],
)
def test_evidence_never_shows_function_words_places_or_negated_terms(model, text, never):
    from labeler.scoring import score_documents

    everywhere = {lb: 0.0 for lb in ("violence", "graphic")}  # every label flagged
    passage = score_documents([("x", text)], model, everywhere)[0]["passages"][0]
    terms = [e["term"] for e in passage["evidence"]]
    assert terms, "flagged passage without evidence"
    assert all(never not in t.split(" ") for t in terms), terms


@pytest.fixture(scope="module")
def embedding_model():
    """A model with embeddings, trained on a small fixed subset (never the full data)."""
    from labeler.dataset import load_rows
    from labeler.training import train

    from .conftest import DATA

    return train(DATA, rows=load_rows(DATA)[::4], embeddings=True)[0]


def test_evidence_is_grouped_by_label_and_credits_embedding_chunks(embedding_model):
    from labeler.scoring import score_documents

    model = embedding_model
    text = "The garrotted guard slumped and the eviscerated prisoner bled out on the floor."
    everywhere = {lb: 0.0 for lb in ("violence", "graphic")}
    evidence = score_documents([("x", text)], model, everywhere)[0]["passages"][0]["evidence"]
    labels = [e["label"] for e in evidence]
    assert labels == sorted(labels, key=("violence", "graphic").index)
    for e in evidence:
        assert text[e["start"] : e["end"]].lower() == e["term"] or " " in e["term"]
    # neither word is in the TF-IDF vocabulary: only the embedding part can credit them
    assert {"garrotted", "eviscerated"} & {e["term"] for e in evidence}


def test_threshold_accepts_an_operating_point_name(model):
    from labeler.scoring import score_documents

    text = "He was beaten outside the bar."
    review = model.operating_points("review")
    assert all(review[lb] <= model.thresholds[lb] for lb in review)
    record = score_documents([("x", text)], model, {"violence": "review"})[0]
    p = record["passages"][0]
    assert ("violence" in p["flags"]) == (p["scores"]["violence"] >= review["violence"])
    assert ("violence" in p["review"]) == (p["scores"]["violence"] >= review["violence"])

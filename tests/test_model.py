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


def test_a_tampered_sentence_model_is_refused_before_loading(tmp_path):
    from labeler.sentence import SENTENCE_FILE

    target = _copy_model(tmp_path)
    with (target / SENTENCE_FILE).open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError, match=f"{SENTENCE_FILE}: sha256 .* does not match"):
        load_model(target)


def test_a_sentence_model_of_the_wrong_shape_is_refused_even_with_a_matching_hash(tmp_path):
    from labeler.sentence import SENTENCE_FILE

    target = _copy_model(tmp_path)
    with np.load(target / SENTENCE_FILE) as arrays:
        parts = dict(arrays)
    parts["coef"] = parts["coef"][:, :10]
    with (target / SENTENCE_FILE).open("wb") as f:
        np.savez(f, **parts)
    card = json.loads((target / CARD_FILE).read_text())
    card["sentence"]["sha256"] = sha256_of(target / SENTENCE_FILE)
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="coef has shape"):
        load_model(target)

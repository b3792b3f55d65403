import json
import shutil

import numpy as np
import pytest
import skops.io as sio

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
    assert (default_model_dir() / MODEL_FILE).stat().st_size < 8 * 1024 * 1024


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


def test_untrusted_types_are_refused_even_with_a_matching_hash(tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    target = _copy_model(tmp_path)
    sio.dump({"vectorizer": Pipeline([("f", FunctionTransformer(print))])}, target / MODEL_FILE)
    card = json.loads((target / CARD_FILE).read_text())
    card["artifact"]["sha256"] = sha256_of(target / MODEL_FILE)
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="refusing to load untrusted types"):
        load_model(target)


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)

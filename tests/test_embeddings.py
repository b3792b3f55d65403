"""WordLlama static embeddings: offline, equal to WordLlama.embed, bounded, hash-checked."""

import json
import socket

import numpy as np
import pytest

from labeler.embeddings import EmbeddingsMissing, StaticEmbeddings, embed_reference
from labeler.model import CARD_FILE, ModelError, load_model

TEXTS = [
    "He was stabbed four times in the chest, leaving him bleeding heavily.",
    "No one was injured, police said.",
    "The garrotted guard slumped; eviscerated, the other crawled away.",
    "Kill the process with SIGKILL!!",
]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_fast_path_equals_wordllama_embed_offline(no_network):
    fast = StaticEmbeddings().transform(TEXTS)
    reference = embed_reference(TEXTS)
    np.testing.assert_allclose((fast * reference).sum(axis=1), 1.0, atol=1e-5)


def test_cache_stays_bounded_and_exact():
    small = StaticEmbeddings(cache_size=64)
    words = [f"word{i} stabbed{i % 7}" for i in range(200)]
    full = StaticEmbeddings().transform(words)
    for start in range(0, 200, 20):
        np.testing.assert_allclose(
            small.transform(words[start : start + 20]), full[start : start + 20], atol=2e-3
        )
        assert len(small._index) + len(small._free) == 64


def test_empty_and_whitespace_passages_are_zero_vectors():
    X = StaticEmbeddings().transform(["", "   \n\t"])
    assert X.shape == (2, 256) and not X.any()


def test_other_weights_are_refused():
    with pytest.raises(EmbeddingsMissing, match="sha256"):
        StaticEmbeddings(expected_sha256="0" * 64)


def test_a_model_whose_weights_hash_differs_is_a_clear_model_error(tmp_path):
    from labeler.dataset import load_rows
    from labeler.model import save_model
    from labeler.training import train

    from .conftest import DATA

    rows = load_rows(DATA)[::25]
    target = tmp_path / "model"
    save_model(train(DATA, rows=rows, embeddings=True)[0], target)
    assert load_model(target).emb_coef is not None
    card = json.loads((target / CARD_FILE).read_text())
    assert card["embeddings"]["sha256"]
    card["embeddings"]["sha256"] = "f" * 64
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="sha256"):
        load_model(target)

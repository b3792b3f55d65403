"""The recipe object: features counted once give what a fitted TfidfVectorizer gives."""

import numpy as np
import pytest

from labeler.learn.dataset import Row
from labeler.learn.ngrams import ANALYZERS, Counts, Tfidf
from labeler.learn.recipe import Inputs, Recipe

TEXTS = [
    "Gunmen shot dead three villagers and set their homes on fire.",
    "The team crushed its rivals 5-0 in the second half.",
    "I will find you and kill you.",
    "Kill the process and restart the server.",
    "His face was torn open by a shotgun blast.",
    "The council approved a new budget for the library.",
    "They beat him to death outside the bar.",
    "rain is expected, and the market rallied",
] * 3


@pytest.mark.parametrize("name", ["word", "char"])
def test_tfidf_from_counts_equals_a_fitted_vectorizer(name):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from labeler.features import make_vectorizer

    fit_on, probe = TEXTS[:14], TEXTS[10:] + ["zzz unseen words here", ""]
    counts = Counts(TEXTS, ("word", "char"))
    tfidf = Tfidf.fit(name, counts.rows(name, fit_on))
    if name == "word":
        vectorizer = make_vectorizer()
        vectorizer.set_params(dtype=np.float64, **ANALYZERS[name])
    else:
        vectorizer = TfidfVectorizer(sublinear_tf=True, **ANALYZERS[name])
    vectorizer.fit(fit_on)
    assert counts.terms(name)[tfidf.columns].tolist() == vectorizer.get_feature_names_out().tolist()
    np.testing.assert_allclose(tfidf.idf, vectorizer.idf_)
    got = tfidf.transform(counts.rows(name, probe)).toarray()
    np.testing.assert_allclose(got, vectorizer.transform(probe).toarray(), atol=1e-12)


def test_recipes_differ_only_by_their_parameters():
    def row(i: int, text: str) -> Row:
        violent = any(word in text for word in ("kill you", "shot", "beat", "torn"))
        labels = {"violence": int(violent), "graphic": int("torn" in text)}
        return Row(str(i), text, "a" if i % 2 else "b", str(i), labels)

    rows = [row(i, t) for i, t in enumerate(TEXTS)]
    inputs = Inputs.of(rows, Recipe(features=("word", "char")), None)
    word = Recipe(features=("word",)).fit(rows[:16], rows[16:], inputs)
    both = Recipe(features=("word", "char"), C=1.0).fit(rows[:16], rows[16:], inputs)
    p_word, p_both = word.predict_proba(TEXTS), both.predict_proba(TEXTS)
    assert p_word.shape == p_both.shape == (len(TEXTS), 2)
    assert not np.allclose(p_word, p_both)
    with pytest.raises(ValueError, match="features must be some of"):
        Recipe(features=("bag",))

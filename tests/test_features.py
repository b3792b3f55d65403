import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.features import TOKEN_PATTERN, FastTfidf, TfidfParams, make_vectorizer


@pytest.fixture(scope="module")
def fitted():
    """The shipped vectorizer's settings, fitted on real training text."""
    from labeler.learn.dataset import load_rows

    from .conftest import DATA

    return make_vectorizer().fit([r.text for r in load_rows(DATA)[:3000]])


WORDS = ["the", "kill", "process", "police", "mob", "fire", "burnt", "alive", "of", "İ", "İİ", "ﬁ"]
passage_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=40).map(
    " ".join
)


@settings(max_examples=200, deadline=None)
@given(st.lists(passage_text, min_size=1, max_size=8))
def test_fast_tfidf_equals_the_fitted_vectorizer(fitted, texts):
    expected = fitted.transform(texts).toarray()
    got = FastTfidf(TfidfParams.from_vectorizer(fitted)).transform(texts).toarray()
    assert got.shape == expected.shape
    assert abs(got - expected).max(initial=0.0) < 1e-6


@pytest.mark.parametrize(
    "setting",
    [
        {"ngram_range": (1, 1)},
        {"ngram_range": (1, 3)},
        {"norm": "l1"},
        {"norm": None},
        {"use_idf": False},
        {"binary": True},
        {"strip_accents": "unicode"},
        {"analyzer": "char_wb", "ngram_range": (1, 2)},
    ],
)
def test_from_vectorizer_refuses_settings_fasttfidf_cannot_reproduce(setting):
    vectorizer = make_vectorizer().set_params(min_df=1, **setting)
    vectorizer.fit(["men shot the guard", "the guard fled", "shot fired"])
    (name,) = [k for k in setting if k != "ngram_range"] or ["ngram_range"]
    with pytest.raises(ValueError, match=f"cannot reproduce this vectorizer: .*{name}="):
        TfidfParams.from_vectorizer(vectorizer)


def test_from_vectorizer_accepts_the_shipped_recipe():
    vectorizer = make_vectorizer().set_params(min_df=1).fit(["men shot the guard", "shot"])
    params = TfidfParams.from_vectorizer(vectorizer)
    assert "shot" in params.terms and len(params.idf) == len(params.terms)


def test_stop_word_copy_is_sklearns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from labeler.tokens import ENGLISH_STOP_WORDS as copy

    assert copy == ENGLISH_STOP_WORDS


def test_scoring_does_not_import_sklearn_or_scipy():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from labeler.batch.batches import Settings, score_batch\n"
        "from labeler.batch.documents import Document\n"
        "score_batch(Settings(), [Document('a', 'Gunmen shot dead three villagers.', 'x', 1)])\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
        "assert 'scipy' not in sys.modules, 'scipy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


ALL_CHARACTERS = "".join(map(chr, range(0x110000)))  # surrogates included: a str may hold them


def test_word_boundary_and_word_character_agree_on_every_code_point():
    """The lemma behind FAST_TOKEN_PATTERN: \\b sees a word character exactly where \\w does."""
    word = re.compile(r"\w")
    boundary = re.compile(r"\b")
    for c in ALL_CHARACTERS:
        assert bool(word.match(c)) == bool(boundary.match(c)) == bool(boundary.match(c, 1)), c


def test_fast_token_pattern_gives_sklearns_tokens_for_every_code_point():
    from labeler.tokens import FAST_TOKEN_PATTERN, TOKEN

    # each code point alone, doubled, and between letters, digits, marks and spaces
    texts = [ALL_CHARACTERS, " ".join(ALL_CHARACTERS), "a".join(ALL_CHARACTERS)]
    texts += [" ".join(c * 2 for c in ALL_CHARACTERS), "1 ".join(ALL_CHARACTERS)]
    for text in texts:
        expected = [m.span() for m in re.finditer(TOKEN_PATTERN, text)]
        assert [m.span() for m in TOKEN.finditer(text)] == expected
        assert re.findall(FAST_TOKEN_PATTERN, text.lower()) == re.findall(
            TOKEN_PATTERN, text.lower()
        )


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=60) | passage_text)
def test_fast_token_pattern_gives_sklearns_tokens(text):
    from labeler.tokens import TOKEN, compile_tokens

    assert compile_tokens(TOKEN_PATTERN) is TOKEN
    assert [m.span() for m in TOKEN.finditer(text)] == [
        m.span() for m in re.finditer(TOKEN_PATTERN, text)
    ]


def test_no_character_lower_cases_to_the_ascii_separator():
    """FastTfidf joins lower-cased ASCII texts with " ZZ ": no lower-cased text holds it."""
    assert not re.search("[A-Z]", ALL_CHARACTERS.lower())
    assert not any(re.search("[A-Z]", c.lower()) for c in ALL_CHARACTERS)


ascii_text = st.lists(
    st.one_of(
        st.sampled_from(
            WORDS[:9]
            + [
                "a",
                "I",
                "zz",
                "ZZ",
                "x_1",
                "9",
                "burnt_alive",
                "12345678",
                "k" * 9,
                "villagers",
                "massacred",
            ]
        ),
        st.text("aZ_1 .-'\n\t", max_size=12),
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(ascii_text | passage_text, min_size=1, max_size=8))
def test_ascii_split_gives_the_regex_token_ids(fitted, texts):
    fast = FastTfidf(TfidfParams.from_vectorizer(fitted))
    lowered = [t.lower() for t in texts if t.lower().isascii()]
    ascii_ids, ascii_doc = fast._ascii_ids(lowered)
    regex_ids, regex_doc = fast._regex_ids(lowered)
    kept, regex_kept = ascii_ids != fast._STOP, regex_ids != fast._STOP
    assert ascii_ids[kept].tolist() == regex_ids[regex_kept].tolist()
    assert ascii_doc[kept].tolist() == regex_doc[regex_kept].tolist()
    expected = fitted.transform(texts).toarray()
    assert abs(fast.transform(texts).toarray() - expected).max(initial=0.0) < 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(passage_text, min_size=1, max_size=8))
def test_rows_are_scipys_csr_and_its_product(fitted, texts):
    import numpy as np
    from scipy import sparse

    rows = FastTfidf(TfidfParams.from_vectorizer(fitted)).transform(texts)
    csr = sparse.csr_matrix((rows.data, rows.indices, rows.indptr), shape=rows.shape)
    expected = fitted.transform(texts)
    expected.sort_indices()
    assert rows.indptr.tolist() == expected.indptr.tolist()
    assert rows.indices.tolist() == expected.indices.tolist()
    weights = np.random.default_rng(len(texts)).normal(size=(2, rows.shape[1]))
    assert np.array_equal(rows.dot(weights), np.asarray(csr @ weights.T))  # bit for bit


CHAR_TEXTS = [
    "Gunmen shot dead three villagers.",
    "",
    "a",
    "  spaced\tout\n\nwords\u00a0and\u2003more  ",
    "ÉCOLE Straße naïve — “quoted” 42 times!!",
    "kill -9 $(pgrep labeler) && echo ok",
]


@given(st.lists(st.text(max_size=40), max_size=4))
@settings(max_examples=60, deadline=None)
def test_char_ngrams_are_what_scikit_learn_computes(extra):
    """The sentence model's character block without scikit-learn: the same rows as a
    TfidfVectorizer given the same vocabulary and idf, on any text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from labeler.features import char_wb_rows

    fitted = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    fitted.fit(CHAR_TEXTS[:1] + ["The mob set the coach alight; 58 were burnt alive."])
    vocabulary, idf = fitted.vocabulary_, fitted.idf_
    texts = CHAR_TEXTS + extra
    ours = char_wb_rows(texts, vocabulary, idf, (2, 5)).toarray()
    np.testing.assert_allclose(ours, fitted.transform(texts).toarray(), rtol=1e-12, atol=1e-15)

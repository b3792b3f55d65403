import re

from hypothesis import given
from hypothesis import strategies as st

from labeler.features import TOKEN_PATTERN, term_spans


def test_bigram_spans_cover_dropped_stop_words():
    text = "They will Kill  the process."
    spans = term_spans(text, {"kill process"}, frozenset({"the"}))
    assert [text[s:e] for s, e in spans["kill process"]] == ["Kill  the process"]


def test_spans_index_the_original_text_case_preserved():
    text = "Police SHOT the man. They shot again."
    spans = term_spans(text, {"shot", "shot the"})
    assert spans["shot"] == [(7, 11), (26, 30)]
    assert [text[s:e] for s, e in spans["shot the"]] == ["SHOT the"]


@given(st.text(), st.sets(st.text(min_size=2, max_size=8), max_size=5))
def test_spans_always_slice_to_the_term(text, terms):
    for term, spans in term_spans(text, terms).items():
        for s, e in spans:
            tokens = [t.lower() for t in re.findall(TOKEN_PATTERN, text[s:e])]
            assert tokens == term.split(" ")  # no stop words given: exact tokens

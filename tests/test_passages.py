from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.passages import is_junk, split_passages

from .conftest import EXAMPLE

# Text with plenty of the characters that matter to splitting.
texty = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(list(" \n\n\t.!?\u2026\"'\u201d"))),
    max_size=3000,
)


@settings(max_examples=300, deadline=None)
@given(texty, st.integers(min_value=1, max_value=400))
def test_offsets_slice_back_and_nothing_is_dropped(text, max_chars):
    passages = split_passages(text, max_chars=max_chars)
    assert passages, "every document yields at least one passage"
    covered = [False] * len(text)
    last_end = 0
    for i, p in enumerate(passages):
        assert p.index == i
        assert text[p.start : p.end] == p.text
        assert last_end <= p.start <= p.end
        last_end = p.end
        for k in range(p.start, p.end):
            covered[k] = True
    assert all(covered[k] or text[k].isspace() for k in range(len(text)))


@settings(max_examples=200, deadline=None)
@given(texty)
def test_passages_are_bounded_and_not_blank_when_there_is_content(text):
    passages = split_passages(text, max_chars=200)
    if text.strip():
        assert all(p.text.strip() for p in passages)
        assert all(len(p.text) <= 200 for p in passages)


def test_paragraphs_and_sentence_windows():
    text = "First para.\n\nSecond para, one line.\n" + "A sentence here. " * 60
    passages = split_passages(text, max_chars=300)
    assert passages[0].text == "First para."
    assert all(p.text.endswith(".") for p in passages[1:])
    assert len(passages) > 3


def test_empty_and_whitespace_documents_are_kept():
    assert [(p.start, p.end, p.text) for p in split_passages("")] == [(0, 0, "")]
    assert [(p.start, p.end) for p in split_passages(" \n\n\t")] == [(0, 4)]


def test_example_article_keeps_junk_line_as_a_passage():
    text = EXAMPLE.read_text(encoding="utf-8")
    passages = split_passages(text)
    menu, date = text.splitlines()[:2]  # one paragraph: no blank line between them
    assert passages[0].text == f"{menu}\n{date}" and date == "11 May, 2016 02:30"
    assert passages[1].text.startswith("ISIS buries alive") and passages[1].start > passages[0].end


def test_junk_is_menus_and_icon_lists_not_prose():
    menu = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert is_junk(menu) and is_junk("") and is_junk("  ---  ")
    assert not is_junk("Gunmen killed four people near the border on Sunday.")
    assert not is_junk("Yankees crush Red Sox")  # a short headline is prose, not junk
    tags = "war iraq bombing baghdad casualties troops insurgents " * 4
    assert is_junk(tags)

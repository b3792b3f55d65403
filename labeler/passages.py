"""Split a document into passages with exact character offsets.

A passage is a paragraph (a block between blank lines); a paragraph longer than
``max_chars`` is cut into windows of whole sentences. Offsets are Python string
indices (Unicode code points) into the original text, so ``text[p.start:p.end]
== p.text`` always holds. Nothing is dropped: every non-whitespace character
lies in exactly one passage, and a document with no content at all still yields
one passage (its whole text), so it is reported with zero scores rather than lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from labeler.tokens import TOKEN

MAX_CHARS = 600
JUNK_MIN_WORDS = 20

_SENTENCE_MARK = re.compile(r"[.!?\u2026]")
# Words any run of English prose is full of; scraped navigation and icon lists have none.
_FUNCTION_WORDS = frozenset(
    "the of to and in is was for on with that by at from as it he she they were are be has "
    "have had this his her their an not but which who will said".split()
)

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
# A sentence ends at a run of marks (matched from its first: a match tried from each mark
# of a long run of them, "......", takes quadratic time), closing quotes, whitespace.
_SENTENCE_END = re.compile(r"(?<![.!?\u2026])[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+|\n\s*")


@dataclass(slots=True)
class Passage:
    """One scored unit of a document: ``text == document[start:end]``."""

    index: int
    start: int
    end: int
    text: str


def split_passages(text: str, max_chars: int = MAX_CHARS) -> list[Passage]:
    """Split ``text`` into paragraphs, and long paragraphs into sentence windows.

    >>> [p.text for p in split_passages("One.\\n\\nTwo. Three.")]
    ['One.', 'Two. Three.']
    """
    if len(text) <= max_chars and "\n" not in text and text.strip() == text and text:
        return [Passage(0, 0, len(text), text)]  # the common case: one short paragraph
    spans = [span for start, end in _blocks(text) for span in _windows(text, start, end, max_chars)]
    if not spans:
        spans = [(0, len(text))]
    return [Passage(i, s, e, text[s:e]) for i, (s, e) in enumerate(spans)]


def is_junk(text: str) -> bool:
    """True for a passage that is not prose: no words, or a long run of words with no
    sentence mark and almost no function words (scraped menus, icon names, tag lists).

    Junk passages are kept, with zero scores, so nothing is lost but nothing is flagged.

    >>> is_junk("icon bookmark-bicon cameraicon checkicon " * 6), is_junk("Crowds fled.")
    (True, False)
    """
    if not TOKEN.search(text):
        return True
    if _SENTENCE_MARK.search(text):
        return False
    words = TOKEN.findall(text)
    if len(words) < JUNK_MIN_WORDS:
        return False
    function = sum(1 for w in words if w.lower() in _FUNCTION_WORDS)
    return function / len(words) < 0.05


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each paragraph: stripped runs between blank lines."""
    pos = 0
    for match in _BLANK_LINE.finditer(text):
        yield from _stripped(text, pos, match.start())
        pos = match.end()
    yield from _stripped(text, pos, len(text))


def _stripped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield text[start:end] without surrounding whitespace, if anything is left."""
    segment = text[start:end]
    content = segment.strip()
    if content:
        lead = len(segment) - len(segment.lstrip())
        yield start + lead, start + lead + len(content)


def _windows(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Pack the sentences of text[start:end] greedily into windows of at most max_chars."""
    if end - start <= max_chars:
        yield start, end
        return
    window_start = window_end = start
    for s, e in _sentences(text, start, end, max_chars):
        if e - window_start > max_chars and window_end > window_start:
            yield window_start, window_end
            window_start = s
        window_end = e
    yield window_start, window_end


def _sentences(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Yield stripped sentence spans; a sentence longer than max_chars is cut at spaces."""
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        yield from _hard_cut(text, pos, match.start() + len(match.group().rstrip()), max_chars)
        pos = match.end()
    if pos < end:
        yield from _hard_cut(text, pos, end, max_chars)


def _hard_cut(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long run at the last whitespace before max_chars (or at max_chars)."""
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end

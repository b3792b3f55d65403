"""Plain text from HTML: the words a reader sees, paragraphs kept apart.

Script, style and other non-content elements are dropped, and the head up to
where the body starts, as browsers parse it (``</head>`` is optional); an element
never closed hides nothing. Block elements end with a blank line so each becomes
its own passage; entities are decoded. Offsets of scored passages index this
extracted text.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "figcaption",
    "dd",
    "dt",
    "aside",
    "nav",
    "main",
    "title",
    "hr",
}
HIDDEN = {"script", "style", "noscript", "template", "svg", "iframe", "object"}
# What a <head> may hold; any other start tag, and any text, begins the body (HTML5 ends
# the head there, so a page without </head>, as minifiers write it, still has a body).
HEAD_CONTENT = {
    "html",
    "head",
    "base",
    "basefont",
    "bgsound",
    "link",
    "meta",
    "title",
    "noscript",
    "noframes",
    "style",
    "script",
    "template",
}
_SPACES = re.compile(r"[^\S\n]+")
_BREAKS = re.compile(r"\s*\n\s*\n\s*")
# Markup whose end is more than a ">", and that end (see _escape_unclosed).
_ENDS = (
    (re.compile(r"<!--"), re.compile(r"--\s*>")),
    (
        re.compile(r"<!\[(?:cdata|temp|ignore|include|rcdata)(?![-.\w])", re.I | re.A),
        re.compile(r"]\s*]\s*>"),
    ),
    (re.compile(r"<!\[(?:if|else|endif)(?![-.\w])", re.I | re.A), re.compile(r"]\s*>")),
)


class _Extractor(HTMLParser):
    """Collects every piece of text, and which of them hidden elements hold.

    A hidden element hides only what lies before its end tag: one never closed hides
    nothing, so a stray ``<noscript>`` or ``<object>`` cannot swallow the rest of a page
    (``<script>`` and ``<style>`` are the exception: the parser reads their rest as
    code, as browsers do). The head is hidden until the body starts.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[tuple[int, int]] = []  # parts[i:j] inside a closed hidden element
        self._open: list[tuple[str, int]] = []  # hidden elements open, and their first part
        self._open_count: Counter[str] = Counter()
        self._head = "before"  # "before" the head, "in" it, or "after" it
        self._title = False  # in a <title> in the head

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![`` other than CDATA and the like is a bogus comment, as browsers read it.

        The standard library raises AssertionError on it ("expected name token"),
        which would make one stray ``<![`` in a page an uncaught crash.
        """
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            return self.parse_bogus_comment(i, report)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head" and self._head == "before":
            self._head = "in"
        elif tag not in HEAD_CONTENT:
            self._head = "after"  # body content ends the head, or means none comes
        self._title = self._title or (tag == "title" and self._head == "in")
        if tag in HIDDEN:
            self._open.append((tag, len(self.parts)))
            self._open_count[tag] += 1
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "body", "html") and self._head == "in":
            self._head = "after"
        self._title = self._title and tag != "title"
        if tag in HIDDEN:
            self._close(tag)
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def _close(self, tag: str) -> None:
        """Hide what the innermost open ``tag`` held; elements left open inside it end
        with it. An end tag with nothing open to close is ignored."""
        if not self._open_count[tag]:
            return
        while True:
            name, first = self._open.pop()
            self._open_count[name] -= 1
            if name == tag:
                self.hidden.append((first, len(self.parts)))
                return

    def handle_data(self, data: str) -> None:
        if self._head == "in" and not self._open:
            if self._title or not data.strip():
                return
            self._head = "after"  # text in the head starts the body
        elif self._head == "before" and data.strip():
            self._head = "after"
        self.parts.append(data)

    def shown(self) -> str:
        """The parts outside every closed hidden element."""
        kept, position = [], 0
        for first, end in sorted(self.hidden):
            kept += self.parts[position:first]
            position = max(position, end)
        return "".join(kept + self.parts[position:])


def html_to_text(html: str) -> str:
    """The visible text of ``html``.

    >>> html_to_text("<p>Crowds &amp; police</p><script>x()</script><p>clashed.</p>")
    'Crowds & police\\n\\nclashed.'
    """
    parser = _Extractor()
    parser.feed(_escape_unclosed(html))
    parser.close()
    text = _SPACES.sub(" ", parser.shown())
    return _BREAKS.sub("\n\n", text).strip()


def _escape_unclosed(html: str) -> str:
    """``html`` with each ``<`` that opens markup nothing closes written ``&lt;``.

    HTMLParser shows such markup as text, but finds that out by scanning the
    rest of the input for its end, again for every one: quadratic time (a
    minute for 60 kB of ``<a <a <a``). An opener after the last end of its kind
    (``-->`` for a comment, ``]]>`` for CDATA, ``>`` for a tag) is text;
    escaped, it is read as text at once.
    """
    for opener, end in _ENDS:
        last = max((m.start() for m in end.finditer(html)), default=-1)
        cut = next((m.start() for m in opener.finditer(html) if m.end() > last), None)
        if cut is not None:
            html = html[:cut] + opener.sub(lambda m: "&lt;" + m.group()[1:], html[cut:])
    cut = html.rfind(">") + 1  # every other kind ends at a ">"
    if html.find("<", cut) >= 0:
        html = html[:cut] + html[cut:].replace("<", "&lt;")
    return html

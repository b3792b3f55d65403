"""Plain text from HTML: the words a reader sees, paragraphs kept apart.

Script, style and other non-content elements are dropped; block elements end
with a blank line so each becomes its own passage; entities are decoded.
Offsets of scored passages index this extracted text.
"""

from __future__ import annotations

import re
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
HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
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
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

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
        if tag in HIDDEN:
            self._hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of ``html``.

    >>> html_to_text("<p>Crowds &amp; police</p><script>x()</script><p>clashed.</p>")
    'Crowds & police\\n\\nclashed.'
    """
    parser = _Extractor()
    parser.feed(_escape_unclosed(html))
    parser.close()
    text = _SPACES.sub(" ", "".join(parser.parts))
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

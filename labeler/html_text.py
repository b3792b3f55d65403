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


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

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
    parser.feed(html)
    parser.close()
    text = _SPACES.sub(" ", "".join(parser.parts))
    return _BREAKS.sub("\n\n", text).strip()

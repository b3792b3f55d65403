"""HTML for showing passages to reviewers: every piece of text escaped first.

Passage text is untrusted (scraped pages, user stories): it is HTML-escaped
before it is wrapped in our own markup, so ``<script>``, ``<img onerror>`` or
markdown tricks in a passage render as inert text.
"""

from __future__ import annotations

import re
from html import escape as _escape_html
from typing import Any

# Every line break a markdown parser may honour: CR LF, a bare CR (two of them end an HTML
# block just as a blank line does), LF, VT, FF, NEL, and the Unicode line and paragraph
# separators.
_LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")


def escape(text: str) -> str:
    """HTML-escape, and keep the result one inert line of markup: every line break becomes
    <br> (a blank line, or a bare CR pair, would end the HTML block and let markdown run)
    and ``$`` an entity (no maths).

    >>> escape("a\\r\\r**b**\\u2028c")
    'a<br><br>**b**<br>c'
    """
    return _LINE_BREAK.sub("<br>", _escape_html(text).replace("$", "&#36;"))


# Evidence marks say which label they support: the legend shows the same colours.
COLOURS = {"violence": "#ffd8a8", "graphic": "#ffb3c1"}
MARK = '<mark title="{title}" style="background:{colour};padding:0 2px">{text}</mark>'


def legend_html() -> str:
    """The key to the evidence colours."""
    items = "".join(
        f'<mark style="background:{colour};padding:0 4px;margin-right:8px">{label}</mark>'
        for label, colour in COLOURS.items()
    )
    return f'<p style="font-size:0.8rem">Evidence: {items}</p>'


def highlight_html(text: str, evidence: list[dict[str, Any]]) -> str:
    """``text`` escaped, with each evidence span wrapped in a <mark> (overlaps merged).

    A span supporting graphic takes graphic's colour (it is the stronger claim).

    >>> ev = [{"label": "violence", "term": "shot", "start": 3, "end": 7}]
    >>> highlight_html("<b>shot</b>", ev).replace(' style="background:#ffd8a8;padding:0 2px"', "")
    '&lt;b&gt;<mark title="violence: shot">shot</mark>&lt;/b&gt;'
    """
    spans: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in evidence:
        spans.setdefault((e["start"], e["end"]), []).append(e)
    out, pos = [], 0
    for (start, end), marks in sorted(spans.items()):
        if start < pos:
            continue  # overlapping span: the earlier mark already covers it
        labels = {e["label"] for e in marks}
        colour = COLOURS["graphic" if "graphic" in labels else "violence"]
        title = "; ".join(f"{e['label']}: {e['term']}" for e in marks)
        out.append(escape(text[pos:start]))
        out.append(MARK.format(title=escape(title), colour=colour, text=escape(text[start:end])))
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def context_html(
    passages: list[dict[str, Any]], current: int, evidence: list[dict[str, Any]]
) -> str:
    """The document as a reader sees it, passage ``current`` in place: marked, evidence
    highlighted, numbered from 1 like every passage; the rest plain. One line of markup."""
    parts = []
    for p in passages:
        number = f'<sup style="opacity:0.5">{p["idx"] + 1}</sup> '
        if p["idx"] == current:
            body = highlight_html(p["text"], evidence)
            parts.append(
                f'<p id="current-passage" style="border-left:4px solid #d33;padding-left:8px;'
                f'background:#fff8f0">{number}{body}</p>'
            )
        else:
            parts.append(f'<p style="opacity:0.6">{number}{escape(p["text"])}</p>')
    return "".join(parts)


def heading_html(title: str, detail: str) -> str:
    """A heading and a line of detail under it, both escaped: a document key or a file
    name is as untrusted as the passage it names."""
    return f'<h3 style="margin-bottom:0">{escape(title)}</h3>' + caption_html(detail)


def caption_html(text: str) -> str:
    """A small dimmed line, escaped: what ``st.caption`` shows, for text that holds a name
    or anything else from outside (``st.caption`` would run its markdown: an image, a link).

    >>> caption_html("Set by ![x](http://h/p.png) <b>")
    '<p style="opacity:0.6;font-size:0.875rem">Set by ![x](http://h/p.png) &lt;b&gt;</p>'
    """
    return f'<p style="opacity:0.6;font-size:0.875rem">{escape(text)}</p>'


HISTORY_COLUMNS = ("when", "reviewer", "decision", "labels", "note")


def history_html(rows: list[dict[str, str]]) -> str:
    """A passage's reviews as a table; every cell (reviewer names, notes) escaped.

    >>> history_html([{"reviewer": "<b>x</b>", "note": "$y$"}]).split("<tbody>")[1]
    '<tr><td></td><td>&lt;b&gt;x&lt;/b&gt;</td><td></td><td></td><td>&#36;y&#36;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{column}</th>" for column in HISTORY_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row.get(c) or '')}</td>" for c in HISTORY_COLUMNS) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

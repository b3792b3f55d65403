"""HTML for showing passages to reviewers: every piece of text escaped first.

Passage text is untrusted (scraped pages, user stories): it is HTML-escaped
before it is wrapped in our own markup, so ``<script>``, ``<img onerror>`` or
markdown tricks in a passage render as inert text.
"""

from __future__ import annotations

from html import escape as _escape_html
from typing import Any


def escape(text: str) -> str:
    """HTML-escape, and keep the result one inert line of markup: newlines become <br>
    (a blank line would end the HTML block and let markdown run) and ``$`` an entity
    (no maths)."""
    return _escape_html(text).replace("$", "&#36;").replace("\n", "<br>")


MARK = '<mark title="{title}" style="background:#ffd5cc;padding:0 2px">{text}</mark>'


def highlight_html(text: str, evidence: list[dict[str, Any]]) -> str:
    """``text`` escaped, with each evidence span wrapped in a <mark> (overlaps merged).

    >>> ev = [{"label": "violence", "term": "shot", "start": 3, "end": 7}]
    >>> highlight_html("<b>shot</b>", ev).replace(' style="background:#ffd5cc;padding:0 2px"', "")
    '&lt;b&gt;<mark title="violence: shot">shot</mark>&lt;/b&gt;'
    """
    spans: dict[tuple[int, int], list[str]] = {}
    for e in evidence:
        spans.setdefault((e["start"], e["end"]), []).append(f"{e['label']}: {e['term']}")
    out, pos = [], 0
    for (start, end), titles in sorted(spans.items()):
        if start < pos:
            continue  # overlapping span: the earlier mark already covers it
        out.append(escape(text[pos:start]))
        out.append(MARK.format(title=escape("; ".join(titles)), text=escape(text[start:end])))
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def context_html(
    passages: list[dict[str, Any]], current: int, evidence: list[dict[str, Any]]
) -> str:
    """The document around passage ``current``: neighbours dimmed, the passage highlighted."""
    parts = []
    for p in passages:
        if p["idx"] == current:
            body = highlight_html(p["text"], evidence)
            parts.append(f'<p style="border-left:4px solid #d33;padding-left:8px">{body}</p>')
        else:
            parts.append(f'<p style="opacity:0.45">{escape(p["text"])}</p>')
    return "\n".join(parts)


def heading_html(title: str, detail: str) -> str:
    """A heading and a line of detail under it, both escaped: a document key or a file
    name is as untrusted as the passage it names."""
    return (
        f'<h3 style="margin-bottom:0">{escape(title)}</h3>'
        f'<p style="opacity:0.6;font-size:0.875rem">{escape(detail)}</p>'
    )


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

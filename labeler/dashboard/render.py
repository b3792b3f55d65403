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
        number = f'<sup style="opacity:0.5">{p["index"] + 1}</sup> '
        if p["index"] == current:
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


LEVEL_BORDERS = {"violence": "#f08c00", "graphic": "#d33"}


def document_html(passages: list[dict[str, Any]]) -> str:
    """A whole document as an editor reads it: every passage numbered from 1 (its element
    id ``passage-N``), the flagged ones (as their labels stand) marked in their level's
    colour with their evidence highlighted, and a note where a reviewer's label stands
    for the model's. One line of markup, every text escaped."""
    parts = []
    for p in passages:
        number = f'<sup style="opacity:0.5">{p["index"] + 1}</sup> '
        note = _review_note(p)
        if p["flags"]:
            level = "graphic" if "graphic" in p["flags"] else "violence"
            body = highlight_html(p["text"], p["evidence"])
            parts.append(
                f'<p id="passage-{p["index"] + 1}" data-level="{level}" style="border-left:4px'
                f' solid {LEVEL_BORDERS[level]};padding-left:8px">{number}{body}{note}</p>'
            )
        else:
            parts.append(
                f'<p id="passage-{p["index"] + 1}" style="opacity:0.6">{number}'
                f"{escape(p['text'])}{note}</p>"
            )
    return "".join(parts)


def _review_note(p: dict[str, Any]) -> str:
    """What a reviewer decided, where a decision stands for the model's flags."""
    labels = p["labels"]
    if labels is None:
        return ""
    said = "graphic" if labels.graphic else "violent" if labels.violence else "not violent"
    model = ", ".join(p["model_flags"]) or "no flags"
    return (
        f' <small style="opacity:0.7;font-style:italic">(reviewed: {said}; model: {model})</small>'
    )


# Our own script, never built from user text: scrolls a whole-document box to a passage in
# it, trying again while it is not drawn yet; with a view, first brings that view to the top
# of the page. The nonce makes each script new to the page, which runs one only when it changes.
SCROLL_TO = """<script data-nonce="{nonce}">(function scroll(tries) {{
  const box = document.querySelector(".st-key-{box}");
  const p = box && box.querySelector("#{target}");
  if (p) {{
    {bring}box.scrollTop += p.getBoundingClientRect().top - box.getBoundingClientRect().top;
  }} else if (tries) requestAnimationFrame(() => scroll(tries - 1));
}})(60)</script>"""
BRING = 'document.querySelector(".st-key-{view}").scrollIntoView({{block: "start"}});\n    '
_OURS = re.compile(r"[A-Za-z0-9_-]+")


def scroll_script(box: str, target: str, nonce: str, view: str | None = None) -> str:
    """SCROLL_TO for the container keyed ``box`` and the element ``target`` in it (and the
    container keyed ``view`` brought to the top). Every argument is a key, an element id or
    a token of ours: anything else is refused.

    >>> scroll_script("whole-document", "passage-3", "7", view="x").count("scrollIntoView")
    1
    """
    for value in (box, target, nonce, view or "x"):
        if not _OURS.fullmatch(value):
            raise ValueError(f"not a key, id or token of ours: {value!r}")
    bring = BRING.format(view=view) if view else ""
    return SCROLL_TO.format(box=box, target=target, nonce=nonce, bring=bring)

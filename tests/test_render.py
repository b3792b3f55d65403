from hypothesis import given
from hypothesis import strategies as st

from labeler.render import context_html, highlight_html


@given(st.text(), st.text())
def test_untrusted_text_never_becomes_markup(before, after):
    html = highlight_html(
        before + "kill" + after,
        [{"label": "violence", "term": "kill", "start": len(before), "end": len(before) + 4}],
    )
    stripped = html.replace("<mark", "").replace("</mark>", "").replace("<br>", "")
    assert "<" not in stripped and "\n" not in html and "$" not in html


def test_context_dims_neighbours_and_has_no_blank_lines():
    passages = [
        {"idx": 0, "text": "  \n\n "},
        {"idx": 1, "text": "<b>shot</b>"},
        {"idx": 2, "text": "![x](http://x/p.png)"},
    ]
    html = context_html(passages, 1, [])
    assert "\n\n" not in html and "&lt;b&gt;shot&lt;/b&gt;" in html
    assert html.count("opacity:0.45") == 2

import re

from hypothesis import given
from hypothesis import strategies as st

from labeler.dashboard.render import context_html, highlight_html


@given(st.text(), st.text())
def test_untrusted_text_never_becomes_markup(before, after):
    html = highlight_html(
        before + "kill" + after,
        [{"label": "violence", "term": "kill", "start": len(before), "end": len(before) + 4}],
    )
    stripped = html.replace("<mark", "").replace("</mark>", "").replace("<br>", "")
    assert "<" not in stripped and "$" not in html
    assert not any(c in html for c in "\r\n\x0b\x0c\x85\u2028\u2029")  # no line break


def test_context_dims_neighbours_and_has_no_blank_lines():
    passages = [
        {"index": 0, "text": "  \n\n "},
        {"index": 1, "text": "<b>shot</b>"},
        {"index": 2, "text": "![x](http://x/p.png)"},
    ]
    html = context_html(passages, 1, [])
    assert "\n\n" not in html and "&lt;b&gt;shot&lt;/b&gt;" in html
    assert html.count('<p style="opacity:0.6">') == 2
    assert [int(n) for n in re.findall(r'opacity:0.5">(\d+)</sup>', html)] == [1, 2, 3]


@given(st.sampled_from(["\r\r", "\r\n\r\n", "\u2028\u2028", "\x85\x85", "\u2029", "\x0c\x0c"]))
def test_every_line_break_is_normalised_so_markdown_cannot_start(breaks):
    html = context_html(
        [{"index": 0, "text": f"a{breaks}**bold** ![i](http://127.0.0.1:9/cr.png)"}], 0, []
    )
    assert html.count("<br>") >= 1 and not any(c in html for c in "\r\n\x85\u2028\u2029\x0c")

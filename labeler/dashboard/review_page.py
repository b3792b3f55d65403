"""The Review page's widgets: what the model claims about the passage, the decision bar
with its keys, and the reviewer's recent decisions. They draw; the callbacks they are
given (``app``) change the store.

The decision bar stays in view at 1024x768: it sticks to the bottom of the window while
the passage or its document runs below it. Every text from outside is escaped before it
is put in HTML, and kept out of widget labels (which Streamlit reads as markdown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from labeler.dashboard.cards import card_of
from labeler.dashboard.render import escape
from labeler.dashboard.wording import (
    decision_words,
    document_name,
    label_safe,
    model_claim,
    review_point,
)
from labeler.learn.gate import review_thresholds
from labeler.store.queue import Claim
from labeler.store.review import (
    GRAPHIC,
    IN_PASSING,
    NOT_VIOLENT,
    VIOLENT_NOT_GRAPHIC,
    Decided,
    Labels,
    Review,
    label_text,
    model_labels,
)

# label, decision, corrected labels, keyboard shortcut ("C" and "R" are Streamlit's own;
# Streamlit shows each key on its button). Each button says what it records; "Agree" says
# which label agreeing gives.
CORRECTIONS = [
    ("Not violent", "correct", NOT_VIOLENT, "N"),
    ("Violent, in passing", "correct", IN_PASSING, "P"),
    ("Violent, described", "correct", VIOLENT_NOT_GRAPHIC, "V"),
    ("Graphic", "correct", GRAPHIC, "G"),
    ("Skip", "skip", None, "S"),
]
KEYS_HELP = (
    "Keys: Y agree with the model · N not violent · P violent, in passing · "
    "V violent, described · G graphic · S skip · U undo"
)
RECENT = 5  # decisions in the recent-decisions strip

# Our own constant, never built from user text (the background is one of BACKGROUNDS). The
# bar stays in the window: below the passage when that fits, else at the window's foot, and
# under Streamlit's header (3.75rem) when the reviewer scrolls down to the document. Its
# wrapper sticks, as a sticky box stays inside its parent and the bar's own parent is a
# wrapper just its size. The main column's top padding is trimmed so that a laptop screen
# holds passage and bar together.
STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stLayoutWrapper"]:has(> .st-key-decision_bar) {
  position: sticky; top: 3.75rem; bottom: 0; z-index: 99; padding: 0.5rem 0 0.6rem;
  background: __BACKGROUND__; border-block: 1px solid rgba(128, 128, 128, 0.35);
}
</style>"""
BACKGROUNDS = {"light": "#ffffff", "dark": "#0e1117"}  # Streamlit's own two themes


def style() -> None:
    """The page's own style (the sticky bar, on the theme's background), as a style
    element that takes no space."""
    theme = st.context.theme.type if st.context.theme else None
    st.html(STYLE.replace("__BACKGROUND__", BACKGROUNDS.get(theme or "light", "#ffffff")))


def show_claim(p: dict[str, Any]) -> None:
    """The model's claim about passage ``p`` in words, and its review-point status when the
    record has one (labeler score's ``review``), each with the scoring model's thresholds
    when its card is here."""
    card = card_of(p["model_version"]) if p["model_version"] else None
    lines = [model_claim(p, card["thresholds"] if card else None)]
    status = review_point(p, review_thresholds(card) if card else None)
    if status:
        lines.append(status)
    html = "<br>".join(escape(line) for line in lines)
    st.markdown(f'<p data-testid="model-claim">{html}</p>', unsafe_allow_html=True)


def actions(p: dict[str, Any]) -> list[tuple[str, str, Labels | None, str]]:
    """The decision bar's buttons for passage ``p``: Agree (with the label it records),
    then each label and Skip."""
    agreed = label_text(model_labels(p["flags"], p["severity"]))
    return [(f"Agree: {agreed}", "confirm", None, "Y"), *CORRECTIONS]


def decision_bar(
    claim: Claim,
    p: dict[str, Any],
    decide: Callable[[Claim, str, Labels | None], None],
    undo: Callable[[], None],
) -> None:
    """One row of buttons, each with its key, and Undo: the bar that stays in view."""
    with st.container(key="decision_bar", horizontal=True, gap="small"):
        for label, decision, labels, key in actions(p):
            st.button(
                label,
                key=f"act-{key}-{claim.token}",
                shortcut=key,
                on_click=decide,
                args=(claim, decision, labels),  # all alike: agreeing is not the default
            )
        undo()


def undo_button(last: Review | None, undo: Callable[[str, int], None], reviewer: str) -> None:
    """Undo, bound to the decision the reviewer last saw: a second press undoes nothing."""
    st.button(
        "Undo",
        key=f"undo-{last.id if last else 'none'}",
        shortcut="U",
        on_click=undo,
        args=(reviewer, last.id if last else 0),
        disabled=last is None,
    )


def recent_strip(recent: list[Decided], reopen: Callable[[str, int], None], reviewer: str) -> None:
    """The reviewer's last decisions, newest first, each one click from being decided
    again. A document's name is user text: its button label keeps only letters, digits,
    spaces, dots and hyphens (Streamlit reads a label as markdown)."""
    if not recent:
        return
    st.caption("Your last decisions, newest first (click one to decide it again):")
    with st.container(key="recent", horizontal=True, gap="small"):
        for decided in recent:
            st.button(
                f"{label_safe(document_name(decided.doc_key))} · passage {decided.idx + 1}: "
                f"{decision_words(decided.review)}",
                key=f"reopen-{decided.review.id}",
                on_click=reopen,
                args=(reviewer, decided.review.passage_id),
                icon=":material/undo:",
                type="tertiary",
            )

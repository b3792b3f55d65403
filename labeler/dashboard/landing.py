"""Which store the dashboard serves, and what it holds: named in the sidebar of every page,
summed up on the landing page, and a store that does not exist is refused by name (opening
it would create an empty store, whose empty queue looks like finished work).

A store's path or URL is user text: it is shown as escaped HTML or in a code block, with a
URL's password masked.
"""

from __future__ import annotations

from pathlib import PurePath

import streamlit as st

from labeler import config
from labeler.dashboard.cards import current_card
from labeler.dashboard.render import escape
from labeler.model import ModelError
from labeler.store.db import POSTGRES_SCHEMES, shown
from labeler.store.store import Store
from labeler.store.summary import summary


def store_name(target: str) -> str:
    """A store as a reviewer tells it apart: a file's name, or a server URL (masked).

    >>> store_name("/srv/review/desk.db"), store_name("postgresql://u:pw@db/news")
    ('desk.db', 'postgresql://u:***@db/news')
    """
    if target.startswith(POSTGRES_SCHEMES):
        return shown(target)
    return PurePath(target).name


def store_caption(target: str) -> None:
    """The store being served, in the sidebar of every page."""
    st.sidebar.markdown(
        f'<p style="font-size:0.875rem">Review store: <b>{escape(store_name(target))}</b></p>',
        unsafe_allow_html=True,
    )


def show_landing(store: Store, target: str) -> None:
    """The store's name and place, and a summary: documents, passages, waiting, labelled,
    and the model that scores new documents."""
    st.markdown(
        f"<h3>{escape(store_name(target))}</h3>"
        f'<p style="opacity:0.6;font-size:0.875rem">{escape(shown(target))}</p>',
        unsafe_allow_html=True,
    )
    held = summary(store)
    figures = [
        ("Documents", held.documents),
        ("Passages", held.passages),
        ("Waiting", held.waiting),
        ("Labelled", held.labelled),
    ]
    for column, (label, number) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, f"{number:,}")
    try:
        model = f"Model {current_card()['version']}, {config.model_origin()}"
    except ModelError as err:  # the Model page shows the whole story
        model = f"Model: cannot be read ({err})"
    st.markdown(f"<p>{escape(model)}</p>", unsafe_allow_html=True)
    if not held.passages:
        st.warning(
            "This store holds no documents yet: add some on the Import & export page, "
            "or with labeler score --store."
        )


def show_missing(target: str) -> None:
    """The store named does not exist: say so, by name, and serve nothing."""
    st.error(
        "The review store is unavailable: it does not exist. Check its path (a typo?), or "
        "start the dashboard with labeler dashboard --store PATH --create to make a new, "
        "empty store."
    )
    st.code(shown(target), language=None)

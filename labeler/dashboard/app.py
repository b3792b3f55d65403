"""Review dashboard: confirm or correct each flagged passage, one key per decision.

    labeler dashboard             (or, in a checkout: streamlit run app.py)

The store: LABELER_DB, else LABELER_HOME/labeler.db. This is the shell: it opens the
store, asks who the reviewer is and shows the page chosen, each page its own module
(``review_page``, ``documents``, ``statistics``, ``model_page``, ``import_page``). The app
only decides what to show; ``labeler.store.review`` says what a decision means and
``labeler.store`` keeps it. Every text that comes from outside (passages, document keys,
file names, reviewer names, notes) is escaped before any HTML, or shown in a code block;
SQL only ever gets values as parameters. See README, "Threat model".
"""

from __future__ import annotations

import streamlit as st

from labeler import config
from labeler.dashboard import landing, review_page
from labeler.dashboard.documents import show_documents
from labeler.dashboard.import_page import show_import_export
from labeler.dashboard.model_page import show_model
from labeler.dashboard.session import open_store, store_trouble_shown
from labeler.dashboard.statistics import show_statistics
from labeler.dashboard.widgets import blur_if_asked, release_focus
from labeler.store.db import missing
from labeler.store.store import Store


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def reviewer_name() -> str:
    """The signed-in user when OIDC is configured (secrets [auth]), else a name given.

    With OIDC configured there is no name box: "" until the user logs in. A typed name is
    kept in the URL (``?reviewer=``), so a reload keeps attributing decisions to it."""
    if st.user.get("is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name"))
    if auth_configured():
        st.sidebar.button("Log in", key="login", on_click=st.login)
        return ""
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = st.query_params.get("reviewer", "")
    name = st.sidebar.text_input("Reviewer name", key="reviewer", on_change=release_focus)
    name = name.strip()
    if st.query_params.get("reviewer", "") != name:
        st.query_params["reviewer"] = name
    return name


def main() -> None:
    """One run: a missing store is reported (never created), else the page chosen."""
    st.set_page_config(page_title="labeler review", layout="wide")
    blur_if_asked()
    review_page.style()
    target = config.store_target()
    if missing(target):  # opening it would make an empty store that looks reviewed
        landing.show_missing(target)
        return
    with store_trouble_shown(), open_store() as store:
        page(store)


PAGES = ["Review", "Documents", "Statistics", "Model", "Import & export"]


def page(store: Store) -> None:
    """The page chosen in the sidebar, for the reviewer named (or signed in) there."""
    chosen = st.sidebar.radio("Page", PAGES, key="page")
    reviewer = reviewer_name()  # on every page: admin rights on the Model page follow it
    if auth_configured() and not reviewer:  # OIDC configured: no page without logging in
        st.info("Log in (button in the sidebar) to use the dashboard.")
        return
    landing.store_caption(config.store_target())
    if chosen == "Documents":
        show_documents(store, reviewer)
    elif chosen == "Statistics":
        show_statistics(store, reviewer)
    elif chosen == "Import & export":
        show_import_export(store)
    elif chosen == "Model":
        show_model(store, reviewer)
    else:
        review_page.show_review(store, reviewer)


if __name__ == "__main__":  # streamlit run labeler/dashboard/app.py
    main()

"""The admin's workflow in a real browser (issue 19, section 4): `streamlit run app.py` driven
by Playwright with Debian's chromium, on a real store, a real registry and a real retrain.

``LABELER_TEST_APP`` names another checkout whose app to serve (the fixtures still use this
one), to see how these tests fail there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from labeler.learn.registry import Registry
from labeler.store.store import Store
from tests.dashboard_server import served
from tests.reviewing import add_documents, model_as
from tests.test_admin_app import STORY
from tests.test_browser import DETAIL, on_screen, page, pick, sign_in  # noqa: F401  (page)
from tests.test_browser_review import LONG, bar_in_view, browser, laptop  # noqa: F401

from .conftest import ROOT

APP = Path(os.environ.get("LABELER_TEST_APP") or ROOT)
WAITING = "\n\n".join(
    f"Rain is expected over Westford for {i} days, forecasters said." for i in range(1, 6)
)
ADMIN = "boss"
NEXT = "2026-12-07-nextone"  # a version in the registry, not yet promoted


def build(tmp: Path, model) -> dict[str, Path]:
    """A store of passages no one has reviewed yet, scored by the shipped model, and a
    registry holding one more version (the shipped model under another name)."""
    db, home = tmp / "review.db", tmp / "home"
    with Store(db) as store:
        docs = (("story.txt", STORY), ("waiting.txt", WAITING), ("long.txt", LONG))
        add_documents(store, [(key, key, text) for key, text in docs], model)
    model_as(Registry(home).root / NEXT, NEXT)
    return {"db": db, "home": home}


@pytest.fixture(scope="module")
def admin_dashboard(tmp_path_factory, model):
    tmp = tmp_path_factory.mktemp("admin")
    paths = build(tmp, model)
    env = {"LABELER_ADMINS": ADMIN}
    with served(APP, paths["db"], tmp, home=paths["home"], env=env) as url:
        yield {**paths, "url": url, "candidate": NEXT, "shipped": model.version}


def open_page(tab: Page, url: str, name: str, page_name: str) -> None:
    """Open ``page_name`` as ``name``: the page first, so that no passage is claimed on
    the way (the review page serves one as soon as a name is given)."""
    tab.goto(url)
    tab.get_by_role("radiogroup", name="Page").get_by_text(page_name, exact=True).click()
    box = tab.get_by_label("Reviewer name")
    box.fill(name)
    box.press("Enter")


def no_traceback(tab: Page) -> None:
    expect(tab.locator("[data-testid='stException']")).to_have_count(0)


def test_retrain_with_nothing_new_shows_the_message(admin_dashboard, page):  # noqa: F811
    d = admin_dashboard
    open_page(page, d["url"], ADMIN, "Model")
    page.get_by_role("button", name="Retrain with reviews").click()
    expect(
        page.get_by_text(re.compile("^Nothing new to learn from: no reviewed passage"))
    ).to_be_visible()
    no_traceback(page)
    assert [c["version"] for c in Registry(d["home"]).versions()] == [NEXT]  # nothing trained


def test_promote_asks_for_confirmation(admin_dashboard, page):  # noqa: F811
    d, version = admin_dashboard, admin_dashboard["candidate"]
    registry = Registry(d["home"])
    assert registry.current() is None
    open_page(page, d["url"], ADMIN, "Model")
    pick(page, "Version", version)
    promote = page.get_by_role("button", name=re.compile("^Promote")).first
    promote.click()
    question = page.get_by_text(f"Promote {version}? It replaces {d['shipped']}")
    expect(question).to_be_visible()
    assert registry.current() is None  # nothing promoted by the first click
    page.get_by_role("button", name="Cancel").click()
    expect(question).to_have_count(0)
    assert registry.current() is None
    promote.click()
    page.get_by_role("button", name=f"Yes, promote {version}").click()
    expect(page.get_by_role("heading", name=f"Model {version}")).to_be_visible()
    assert registry.current() == version
    no_traceback(page)


def current_is_the_candidate(d: dict) -> str:
    """Promote the candidate, unless the promotion test before did: the store's passages
    are then scored by a model that is not the current one."""
    registry = Registry(d["home"])
    if registry.current() != d["candidate"]:
        registry.promote(d["candidate"])
    return d["candidate"]


def test_the_rescore_banner_leaves_the_decision_bar_in_view_at_1024x768(admin_dashboard, browser):  # noqa: F811
    d = admin_dashboard
    version = current_is_the_candidate(d)
    tab = laptop(browser)
    sign_in(tab, d["url"], "lee", "long.txt")
    assert on_screen(tab) == LONG
    expect(tab.get_by_text(f"not the current model {version}")).to_be_visible()
    bar_in_view(tab)
    tab.context.close()


def test_the_rescore_banner(admin_dashboard, page):  # noqa: F811
    d = admin_dashboard
    version = current_is_the_candidate(d)
    open_page(page, d["url"], ADMIN, "Review")
    banner = page.get_by_text(f"Scored by model {d['shipped']}, not the current model {version}")
    expect(banner).to_be_visible()
    page.get_by_role("radiogroup", name="Page").get_by_text("Model", exact=True).click()
    expect(page.get_by_text("were scored by an older model")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Re-score the store")).click()
    expect(page.get_by_text(f"Last re-score, by {ADMIN}")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("were scored by an older model")).to_have_count(0)
    page.get_by_role("radiogroup", name="Page").get_by_text("Review", exact=True).click()
    expect(page.locator(DETAIL).filter(has_text=f"model {version}").first).to_be_visible()
    expect(banner).to_have_count(0)
    no_traceback(page)
    with Store(d["db"]) as store:
        passages = store.maintenance.counts()["passages"]
        assert store.rescoring.scored_by() == {
            d["shipped"]: passages,
            version: passages,
        }  # beside the old

"""Browser journeys: signing in, screenshots, layout checks."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# An assertion waits up to 15 s for the page to show what it expects (Playwright's default is
# 5 s): a bulk action such as making every classroom's sections from its plan can take longer
# than 5 s on a loaded 2-core CI machine, and a pass is still decided by what the page shows.
expect.set_options(timeout=15_000)


def _after_the_pages_scripts(action):
    """A person's action waits until the page's scripts are running (the `load` event), and so
    does a measurement of the page.

    htmx and app.js are `defer`red: the markup is visible, so Playwright may click, type or pick
    before the handlers exist, and on a loaded CI machine the tap or the choice is lost. Waiting
    for `load` before every action (a no-op once it has fired) keeps each journey to what a
    person can do on a page that has finished loading."""

    @functools.wraps(action)
    def wrapper(self, *args, **kwargs):
        page = self.page if isinstance(self, Locator) else self
        page.wait_for_load_state("load")
        return action(self, *args, **kwargs)

    return wrapper


# The actions, and the reads of layout and style (a box measured or a style computed before
# app.css has arrived is the browser's default: the markup is visible before the stylesheet).
_ACTIONS = (
    "check", "clear", "click", "dblclick", "fill", "focus", "hover", "press", "press_sequentially",
    "select_option", "set_checked", "set_input_files", "tap", "type", "uncheck",
    "bounding_box", "evaluate", "screenshot",
)  # fmt: skip
for _name in _ACTIONS:
    setattr(Locator, _name, _after_the_pages_scripts(getattr(Locator, _name)))
    if hasattr(Page, _name):
        setattr(Page, _name, _after_the_pages_scripts(getattr(Page, _name)))


@pytest.fixture(scope="module", autouse=True)
def _close_connections_after_module():
    """The connection opened while Playwright's loop runs is not the one Django closes when it
    drops the test database at the end of the session; close it here."""
    yield
    connections.close_all()


# --- Helpers ------------------------------------------------------------------------------


def sign_in(page: Page, base_url: str, username: str, *, role: str = "", password: str = PASSWORD) -> None:
    """Fill the login form the way a person does; `role` is the Thai label in the role select."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.locator("#id_password").fill(password)
    if role:
        page.get_by_label("เข้าใช้งานในบทบาท").select_option(label=role)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()


def signed_in(page: Page, base_url: str, username: str, **kwargs) -> None:
    sign_in(page, base_url, username, **kwargs)
    expect(page).to_have_url(f"{base_url}/")


def nav_link(page: Page, name: str) -> Locator:
    """A link of the main menu by its exact name, opening its dropdown group first if it is in one
    (a link inside a closed <details> is not visible, so it cannot be clicked)."""
    nav = page.get_by_role("navigation", name="เมนูหลัก")
    group = nav.locator("details.nav-group").filter(
        has=page.locator("a").filter(has_text=re.compile(rf"^{re.escape(name)}$"))
    )
    if group.count() and group.get_attribute("open") is None:
        group.locator("summary").click()
    return nav.get_by_role("link", name=name, exact=True)


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot in var/screenshots/, taken once the web fonts have loaded."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready")
    # From the top: a full-page shot of a scrolled page paints the sticky top bar mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sarabun_loaded(page: Page) -> bool:
    """Thai text is drawn with the bundled Sarabun, not a fallback font."""
    # fonts.load asks for the face Thai body text uses and waits for it: `fonts.ready` alone can
    # resolve before the page's first layout has started that load on a busy machine. (Like every
    # evaluate here it runs after `load`: before app.css the body's font is the browser's default.)
    return page.evaluate(
        """async () => {
            const body = getComputedStyle(document.body).fontFamily;
            if (!(body.startsWith('"Sarabun"') || body.startsWith('Sarabun'))) return false;
            const faces = await document.fonts.load('1rem Sarabun', 'ภาษาไทย');
            return faces.some(f => f.family.replace(/["']/g, '') === 'Sarabun' && f.status === 'loaded');
        }"""
    )


def page_overflows(page: Page) -> bool:
    """The page body is wider than the viewport (a horizontal scrollbar on a phone)."""
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")

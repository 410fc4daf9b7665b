"""In Chromium, every role opens every page of its menu (with the demo data): no page draws a
snake_case or class name where a person reads headers and labels, and the console never reports a
Content-Security-Policy refusal, not even after clicking the panel's do-nothing links (the
active tab, menu toggles). Skipped where Chromium or Playwright is missing."""

from __future__ import annotations

import re

import pytest

from demo.seed import DEMO_LOGINS, seed_demo_data
from extensions import db
from tests.browser import needs_chromium

pytestmark = needs_chromium

READ_TEXT = """() => Array.from(document.querySelectorAll(
  'th, label, legend, h1, h2, h3, h4, h5, dt, caption, .card-header, .nav-tabs a, .dropdown-item,'
  + ' .navbar a, option, button')).map(e => e.innerText).concat(
  Array.from(document.querySelectorAll('input[placeholder]')).map(e => e.placeholder)
).join('\\n')"""
SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+[A-Z][a-z]+\w*\b")
CLICKED = "#admin-navbar-collapse .dropdown-toggle, .nav-tabs a[href^='javascript:']"


@pytest.mark.parametrize("role, email, password", DEMO_LOGINS)
def test_every_menu_page_reads_in_words_without_csp_refusals(
    role: str,
    email: str,
    password: str,
    live_server: str,
    browser_page,
) -> None:
    seed_demo_data(3)
    db.session.commit()
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{page.url}: {message.text}"))
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    links = page.eval_on_selector_all(
        "#admin-navbar-collapse a.dropdown-item, #admin-navbar-collapse a.nav-link",
        "anchors => anchors.map(a => a.href).filter(h => h.includes('/admin/'))",
    )
    assert len(set(links)) > 5

    misread: dict[str, set[str]] = {}
    for link in sorted(set(links)):
        assert page.goto(link).status == 200, link
        text = page.evaluate(READ_TEXT)
        names = set(SNAKE_CASE.findall(text)) | set(CLASS_NAME.findall(text))
        if names:
            misread[link] = names
        for toggle in page.query_selector_all(CLICKED)[:3]:
            if toggle.is_visible():
                toggle.click()

    assert misread == {}
    refusals = [line for line in console if "Content Security Policy" in line]
    assert refusals == []

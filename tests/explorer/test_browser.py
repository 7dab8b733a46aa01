"""The explorer in a real browser: Debian's chromium driven by Playwright, headless.

Search a serial, open it and its timeline, follow a link to a lot, expand the graph (nodes
already placed stay put); no console errors.
Screenshots go to ``build/artifacts/``. Skipped when /usr/bin/chromium or Playwright is
missing (``make system-deps`` installs chromium; ``playwright install`` is never needed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.live_server import Served

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_MS = 15_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")


@pytest.fixture
def page(served: Served) -> Iterator[tuple[Any, list[str]]]:
    errors: list[str] = []
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True, timeout=STEP_MS
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            tab.set_default_timeout(STEP_MS)
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            yield tab, errors
        finally:
            browser.close()


def _shot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"explorer-{name}.png"), full_page=True)


def test_search_open_follow_and_expand(served: Served, page: tuple[Any, list[str]]) -> None:
    tab, errors = page
    probe = served.truth["top_units"][0]
    serial = probe["unit"].rsplit("/", 1)[-1]
    lot = next(d["item"] for d in probe["descendants"] if d["kind"] == "lot" and d["depth"] == 1)
    lot_id = lot.rsplit("/", 1)[-1]

    tab.goto(served.url + "/explore", timeout=STEP_MS)
    box = tab.get_by_label("Serial, lot, part, work order or equipment identifier")
    box.fill(serial)
    tab.locator("#results li", has_text=serial).first.wait_for(timeout=STEP_MS)
    _shot(tab, "search")
    box.press("ArrowDown")  # keyboard: select the first option, open it with Enter
    assert tab.locator("#results li[aria-selected=true]").count() == 1
    with tab.expect_navigation(timeout=STEP_MS):
        box.press("Enter")
    assert "/explore/resource" in tab.url
    expect = sync_api.expect
    expect(tab.locator("#title")).to_have_text(serial, timeout=STEP_MS)
    expect(tab.locator("#types abbr").first).to_have_attribute("title", re.compile(r"\w+"))
    _wait_nodes(tab, 1)
    _shot(tab, "unit")

    with tab.expect_navigation(timeout=STEP_MS):
        tab.get_by_role("link", name="Timeline of this unit").click()
    tab.locator("#timeline tr.event-operation").first.wait_for(timeout=STEP_MS)
    _shot(tab, "timeline")
    with tab.expect_navigation(timeout=STEP_MS):
        tab.get_by_role("link", name="Back to the unit").click()
    expect(tab.locator("#title")).to_have_text(serial, timeout=STEP_MS)

    group = tab.locator("details[data-predicate$='#hasComponent']")
    group.evaluate("d => { d.open = true; }")
    link = group.get_by_role("link", name=lot_id, exact=True)
    link.wait_for(timeout=STEP_MS)
    with tab.expect_navigation(timeout=STEP_MS):
        link.click()
    expect(tab.locator("#title")).to_have_text(lot_id, timeout=STEP_MS)
    before = _wait_nodes(tab, 1)
    _shot(tab, "lot")

    placed = tab.evaluate(_POSITIONS)
    _expand_some_node(tab, before)
    _shot(tab, "expanded")
    after = tab.evaluate(_POSITIONS)
    assert len(after) > len(placed)
    assert {k: after[k] for k in placed} == placed  # existing nodes did not move
    assert not errors, errors


_POSITIONS = """() => Object.fromEntries(window.kgtExplorer.cy.nodes().map(
  n => [n.id(), [Math.round(n.position('x')), Math.round(n.position('y'))]]))"""


def _wait_nodes(tab: Any, more_than: int) -> int:
    tab.wait_for_function(
        f"Number(document.getElementById('node-count').textContent) > {more_than}",
        timeout=STEP_MS,
    )
    return int(tab.locator("#node-count").inner_text())


def _expand_some_node(tab: Any, before: int) -> None:
    """Click (with the mouse, on the canvas) each non-root node until the graph grows."""
    frame = tab.locator("#graph").bounding_box()
    spots = tab.evaluate(
        "() => window.kgtExplorer.cy.nodes().slice(1).map(n => n.renderedPosition())"
    )
    for spot in spots[:8]:
        tab.mouse.click(frame["x"] + spot["x"], frame["y"] + spot["y"])
        try:
            _wait_nodes(tab, before)
            return
        except sync_api.TimeoutError:
            continue
    pytest.fail("no node expansion grew the graph")

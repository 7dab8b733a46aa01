"""The explorer in a real browser: Debian's chromium driven by Playwright, headless.

Search a serial, open it and its timeline (the plot is drawn), follow a link to a lot,
expand the graph (nodes already placed stay put), filter it by predicate and by type,
expand a node with the keyboard alone, run a named query in the SPARQL page and open a
result, page 10,000 links with the cursor both ways. Every test fails on a console error,
an uncaught page error, or any request leaving 127.0.0.1 (the pages work offline).
Screenshots go to ``build/artifacts/``, and the timings of the 10,000-link page to
``build/artifacts/explorer-timings.json`` (reported, not asserted). Skipped when
/usr/bin/chromium or Playwright is missing (``make system-deps`` installs chromium;
``playwright install`` is never needed).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import NamedNode, QuerySolutions, Triple

from api.live_server import Served
from explorer.busy_lot import BUSY_LOT, BUSY_UNITS, BusyServer, serve_busy_lot
from kgthread import ids, vocab
from kgthread.reasoning.conformance_reports import check_all

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
KGT = "https://w3id.org/kgthread/ns#"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
expect = sync_api.expect


@dataclass
class Tab:
    """A browser tab with what it reported: console errors, page errors, outside requests."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.outside, self.outside


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True, timeout=STEP_MS
        )
        try:
            yield launched
        finally:
            launched.close()


def _open_tab(browser: Any, base: str) -> Tab:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(STEP_MS)
    tab = Tab(page)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: tab.errors.append(str(exc)))

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(base) or url.startswith("data:"):
            request_route.continue_()
        else:
            tab.outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    return tab


@pytest.fixture
def tab(browser: Any, served: Served) -> Tab:
    return _open_tab(browser, served.url)


def _shot(tab: Tab, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(ARTIFACTS / f"explorer-{name}.png"), full_page=True)


def _resource(served: Served, iri: str) -> str:
    return served.url + "/explore/resource?iri=" + iri


def test_search_open_follow_and_expand(served: Served, tab: Tab) -> None:
    page = tab.page
    probe = served.truth["top_units"][0]
    serial = probe["unit"].rsplit("/", 1)[-1]
    lot = next(d["item"] for d in probe["descendants"] if d["kind"] == "lot" and d["depth"] == 1)
    lot_id = lot.rsplit("/", 1)[-1]

    page.goto(served.url + "/explore", timeout=STEP_MS)
    box = page.get_by_label("Serial, lot, part, work order or equipment identifier")
    box.fill(serial)
    page.locator("#results li", has_text=serial).first.wait_for(timeout=STEP_MS)
    _shot(tab, "search")
    box.press("ArrowDown")  # keyboard: select the first option, open it with Enter
    assert page.locator("#results li[aria-selected=true]").count() == 1
    with page.expect_navigation(timeout=STEP_MS):
        box.press("Enter")
    assert "/explore/resource" in page.url
    expect(page.locator("#title")).to_have_text(serial, timeout=STEP_MS)
    expect(page.locator("#types abbr").first).to_have_attribute("title", re.compile(r"\w+"))
    _wait_nodes(page, 1)
    _shot(tab, "unit")

    with page.expect_navigation(timeout=STEP_MS):
        page.get_by_role("link", name="Timeline of this unit").click()
    page.locator("#timeline tr.event-operation").first.wait_for(timeout=STEP_MS)
    plot = page.get_by_role("img", name=re.compile("Plot of"))
    plot.wait_for(timeout=STEP_MS)
    assert plot.locator("rect.band").count() > 0
    assert plot.locator("circle.mean").count() == plot.locator("rect.band").count()
    _shot(tab, "timeline")
    with page.expect_navigation(timeout=STEP_MS):
        page.get_by_role("link", name="Back to the unit").click()
    expect(page.locator("#title")).to_have_text(serial, timeout=STEP_MS)

    group = page.locator("details[data-predicate$='#hasComponent']")
    group.evaluate("d => { d.open = true; }")
    link = group.get_by_role("link", name=lot_id, exact=True)
    link.wait_for(timeout=STEP_MS)
    with page.expect_navigation(timeout=STEP_MS):
        link.click()
    expect(page.locator("#title")).to_have_text(lot_id, timeout=STEP_MS)
    before = _wait_nodes(page, 1)
    _shot(tab, "lot")

    placed = page.evaluate(_POSITIONS)
    _expand_some_node(page, before)
    _shot(tab, "expanded")
    after = page.evaluate(_POSITIONS)
    assert len(after) > len(placed)
    assert {k: after[k] for k in placed} == placed  # existing nodes did not move
    tab.clean()


_INSPECTED = """PREFIX kgt: <https://w3id.org/kgthread/ns#>
SELECT ?unit (COUNT(?inspection) AS ?n) WHERE { ?inspection kgt:inspectedUnit ?unit }
GROUP BY ?unit ORDER BY DESC(?n) ?unit LIMIT 1"""


def test_timeline_plots_summaries_beside_inspections(served: Served, tab: Tab) -> None:
    page = tab.page
    result = served.store.query(_INSPECTED)
    assert isinstance(result, QuerySolutions)
    row = next(iter(result))
    unit, inspections = row["unit"].value, int(row["n"].value)
    page.goto(served.url + "/explore/timeline?iri=" + unit, timeout=STEP_MS)
    plot = page.get_by_role("img", name=re.compile("Plot of"))
    plot.wait_for(timeout=STEP_MS)
    marks = plot.locator(".plot-quality circle.inspection")
    expect(marks).to_have_count(inspections)
    events = page.locator("#timeline tr.event-inspection")
    expect(events).to_have_count(inspections)
    _shot(tab, "timeline-inspections")
    tab.clean()


def test_predicate_and_type_filters_change_the_graph(served: Served, tab: Tab) -> None:
    page = tab.page
    unit = served.truth["top_units"][0]["unit"]
    page.goto(_resource(served, unit), timeout=STEP_MS)
    total = _wait_nodes(page, 1)
    labels = page.locator("#filter-predicates label")
    labels.first.wait_for(timeout=STEP_MS)
    fewer, box = total, None
    for name in labels.all_inner_texts():  # links reached by no other shown link
        box = page.locator("#filter-predicates").get_by_label(name, exact=True)
        box.uncheck()
        fewer = int(page.locator("#node-count").inner_text())
        if fewer < total:
            break
        box.check()
    assert box is not None
    assert fewer < total, "no predicate filter hid a node"
    assert int(page.locator("#node-total").inner_text()) == total
    hidden = page.evaluate("() => window.kgtExplorer.cy.nodes('.filtered').length")
    assert hidden == total - fewer
    assert page.locator("#graph-nodes li").count() == fewer
    _shot(tab, "filtered")
    box.check()
    expect(page.locator("#node-count")).to_have_text(str(total), timeout=STEP_MS)

    types = page.locator("#filter-types input[type=checkbox]")
    assert types.count() > 1
    label = page.locator("#filter-types label").first
    name = label.inner_text()
    counted = int(re.sub(r"\D", "", label.locator("xpath=..").locator(".count").inner_text()))
    page.locator("#filter-types").get_by_label(name, exact=True).uncheck()
    assert int(page.locator("#node-count").inner_text()) <= total - counted
    tab.clean()


def test_expand_and_open_a_node_with_the_keyboard_only(served: Served, tab: Tab) -> None:
    page = tab.page
    unit = served.truth["top_units"][0]["unit"]
    page.goto(_resource(served, unit), timeout=STEP_MS)
    total = _wait_nodes(page, 1)
    page.locator("#graph-nodes li").first.wait_for(timeout=STEP_MS)
    for _ in range(300):  # Tab through the page's controls up to the node list
        if page.evaluate("() => document.activeElement.id") == "graph-nodes":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the graph's node list")
    assert page.get_by_role("listbox", name="Nodes in the graph").count() == 1
    page.keyboard.press("ArrowDown")  # the resource itself, already expanded
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        selected = page.locator("#graph-nodes li[aria-selected=true]")
        assert selected.count() == 1
        page.keyboard.press("e")
        try:
            page.wait_for_function(
                f"Number(document.getElementById('node-total').textContent) > {total}",
                timeout=3_000,
            )
            break
        except sync_api.TimeoutError:
            continue
    else:
        pytest.fail("no node expanded from the keyboard grew the graph")
    _shot(tab, "keyboard")
    chosen = page.locator("#graph-nodes li[aria-selected=true]").get_attribute("data-id")
    assert page.evaluate("() => document.activeElement.id") == "graph-nodes"
    with page.expect_navigation(timeout=STEP_MS):
        page.keyboard.press("Enter")
    assert page.evaluate("() => new URLSearchParams(location.search).get('iri')") == chosen
    tab.clean()


def test_inferred_links_are_marked_and_explained(served: Served, tab: Tab) -> None:
    page = tab.page
    unit = served.truth["top_units"][0]["unit"]
    page.goto(_resource(served, unit), timeout=STEP_MS)
    group = page.locator(f"details[data-predicate='{KGT}contains'][data-direction=out]")
    group.locator("summary").click()
    first = group.locator("li.inferred").first
    first.wait_for(timeout=STEP_MS)
    expect(first.locator(".badge")).to_have_text("inferred")
    features = served.client.get("/explore/api/features").json()
    explain = first.get_by_role("button", name=re.compile("Explain the inferred link"))
    if features["explain"]:
        explain.click()
        why = first.get_by_role("region")
        expect(why).to_contain_text("Rule: contains-transitive", timeout=STEP_MS)
        expect(why.get_by_role("link", name=unit.rsplit("/id/", 1)[-1]).first).to_be_visible()
    else:  # the endpoint is not served: no control that would fail
        assert explain.count() == 0
    conformance = page.locator("#conformance")
    report = served.client.get("/api/conformance", params={"unit": unit})
    if features["conformance"] and report.is_success:
        expect(conformance).to_be_visible(timeout=STEP_MS)
        verdict = "Conforms" if report.json()["conforms"] else "finding"
        expect(page.locator("#conf-verdict")).to_contain_text(verdict)
        findings = len(report.json()["findings"])
        expect(page.locator("#conf-findings tbody tr")).to_have_count(findings)
    else:
        expect(conformance).to_be_hidden()
    _shot(tab, "inferred")
    tab.clean()


def test_conformance_findings_of_a_deviating_unit(served: Served, tab: Tab) -> None:
    """A unit built with a lot of a part its design does not use: an "extra" finding. The
    deviation is committed in a graph of its own and dropped afterwards."""
    unit = NamedNode(served.truth["top_units"][0]["unit"])
    stray = ids.lot("EXPLORER-STRAY", "L1")
    graph, batch = ids.batch_graph("explorer-deviation"), ids.batch("explorer-deviation")
    deviation = [
        Triple(stray, vocab.RDF_TYPE, vocab.kgt("MaterialLot")),
        Triple(stray, vocab.kgt("lotOfPart"), ids.part("EXPLORER-STRAY")),
        Triple(unit, vocab.kgt("hasComponent"), stray),
    ]
    served.store.commit(graph, deviation, [Triple(batch, vocab.kgt("targetGraph"), graph)])
    try:
        check_all(served.store)
        report = served.client.get("/api/conformance", params={"unit": unit.value}).json()
        assert report["conforms"] is False
        page = tab.page
        page.goto(_resource(served, unit.value), timeout=STEP_MS)
        expect(page.locator("#conf-verdict")).to_contain_text(
            f"{len(report['findings'])} finding(s)", timeout=STEP_MS
        )
        extra = page.locator("#conf-findings tr.finding-extra")
        expect(extra).to_have_count(1)
        expect(extra.get_by_role("link", name="lot/EXPLORER-STRAY/L1")).to_be_visible()
        _shot(tab, "conformance")
        tab.clean()
    finally:
        served.store.drop_graph(graph, [Triple(batch, vocab.kgt("targetGraph"), graph)])
        check_all(served.store)
    assert served.client.get("/api/conformance", params={"unit": unit.value}).json()["conforms"]


def test_sparql_page_runs_a_named_query_and_opens_a_result(served: Served, tab: Tab) -> None:
    page = tab.page
    unit = served.truth["top_units"][0]["unit"]
    page.goto(served.url + "/explore/sparql", timeout=STEP_MS)
    editor = page.locator(".yasqe .CodeMirror")
    editor.wait_for(timeout=STEP_MS)
    text = page.evaluate("() => window.kgtSparql.yasgui.getTab().getQuery()")
    assert "PREFIX kgt: <https://w3id.org/kgthread/ns#>" in text
    assert "PREFIX id: <https://w3id.org/kgthread/id/>" in text
    choice = page.get_by_label("Start from a named query")
    option = choice.locator("option", has_text="genealogy-down:")
    choice.select_option(value=option.get_attribute("value"))
    text = page.evaluate("() => window.kgtSparql.yasgui.getTab().getQuery()")
    assert "# name: genealogy-down" in text
    sample = re.search(r"VALUES \?unit \{ <([^>]+)> \}", text)
    assert sample, text
    page.locator(".yasqe_queryButton").click()
    result = page.locator(".yasr a.iri[data-explorer]").first
    result.wait_for(timeout=STEP_MS)
    _shot(tab, "sparql")
    target = result.get_attribute("data-explorer")
    assert target.startswith("https://w3id.org/kgthread/id/")
    with page.expect_navigation(timeout=STEP_MS):
        result.click()
    assert "/explore/resource" in page.url
    expect(page.locator("#iri")).to_have_text(target, timeout=STEP_MS)
    assert unit.startswith("https://w3id.org/kgthread/id/unit/")
    tab.clean()


_GROW = """async (limit) => {
  const { cy, expand } = window.kgtExplorer;
  for (let i = 0; i < limit && cy.nodes().length < 500 && cy.nodes()[i]; i += 6) {
    await Promise.all(cy.nodes().slice(i, i + 6).map((node) => expand(node)));
  }
  return cy.nodes().length;
}"""

_TOGGLE = """() => {
  const box = document.querySelector('#filter-predicates input');
  const started = performance.now();
  box.click();
  box.click();
  return performance.now() - started;
}"""


def test_a_graph_of_up_to_500_nodes(served: Served, tab: Tab) -> None:
    page = tab.page
    unit = served.truth["top_units"][0]["unit"]
    page.goto(_resource(served, unit), timeout=STEP_MS)
    _wait_nodes(page, 1)
    started = time.perf_counter()
    reached = page.evaluate(_GROW, 400)
    grown = time.perf_counter() - started
    assert 1 < reached <= 500
    expect(page.locator("#node-total")).to_have_text(str(reached))
    expect(page.locator("#graph-nodes li")).to_have_count(reached)
    toggle_ms = page.evaluate(_TOGGLE)
    expect(page.locator("#node-count")).to_have_text(str(reached))
    _shot(tab, "large-graph")
    _record(
        {
            "graph_nodes": reached,
            "graph_grow_s": round(grown, 2),
            "filter_toggle_twice_ms": round(toggle_ms, 1),
        }
    )
    tab.clean()


def _record(figures: dict[str, Any]) -> None:
    """Merge measured figures into the timings artefact (reported, never asserted)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "explorer-timings.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**known, **figures}, indent=2) + "\n")
    print("explorer timings:", figures)


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BusyServer]:
    with serve_busy_lot(tmp_path_factory.mktemp("busy")) as live:
        yield live


def test_cursor_pages_of_ten_thousand_links(busy: BusyServer, browser: Any) -> None:
    tab = _open_tab(browser, busy.url)
    page = tab.page
    started = time.perf_counter()
    page.goto(busy.url + "/explore/resource?iri=" + BUSY_LOT, timeout=STEP_MS)
    page.locator("details[data-direction=in] summary").wait_for(timeout=STEP_MS)
    shown = time.perf_counter() - started
    group = page.locator("details[data-direction=in]")
    started = time.perf_counter()
    group.locator("summary").click()
    where = group.locator(".where")
    expect(where).to_have_text(f"1–50 of {BUSY_UNITS:,}", timeout=STEP_MS)
    first_links = time.perf_counter() - started
    expect(group.locator("li")).to_have_count(50)
    first = group.locator("li a").first.inner_text()
    _shot(tab, "busy")

    next_button = group.get_by_role("button", name="Next has component links")
    previous_button = group.get_by_role("button", name="Previous has component links")
    expect(previous_button).to_be_disabled()
    timings = []
    for page_number in range(2, 5):
        started = time.perf_counter()
        next_button.click()
        low = (page_number - 1) * 50 + 1
        expect(where).to_have_text(f"{low}–{low + 49} of {BUSY_UNITS:,}", timeout=STEP_MS)
        timings.append(time.perf_counter() - started)
    assert group.locator("li a").first.inner_text() != first
    for low in (101, 51, 1):
        previous_button.click()
        expect(where).to_have_text(f"{low}–{low + 49} of {BUSY_UNITS:,}", timeout=STEP_MS)
    assert group.locator("li a").first.inner_text() == first
    expect(previous_button).to_be_disabled()
    _record(
        {
            "links": BUSY_UNITS,
            "page_shown_s": round(shown, 3),
            "first_50_links_s": round(first_links, 3),
            "next_page_s": [round(t, 3) for t in timings],
        }
    )
    tab.clean()


_POSITIONS = """() => Object.fromEntries(window.kgtExplorer.cy.nodes().map(
  n => [n.id(), [Math.round(n.position('x')), Math.round(n.position('y'))]]))"""


def _wait_nodes(page: Any, more_than: int) -> int:
    page.wait_for_function(
        f"Number(document.getElementById('node-count').textContent) > {more_than}",
        timeout=STEP_MS,
    )
    return int(page.locator("#node-count").inner_text())


def _expand_some_node(page: Any, before: int) -> None:
    """Click (with the mouse, on the canvas) each non-root node until the graph grows."""
    frame = page.locator("#graph").bounding_box()
    spots = page.evaluate(
        "() => window.kgtExplorer.cy.nodes().slice(1).map(n => n.renderedPosition())"
    )
    for spot in spots[:8]:
        page.mouse.click(frame["x"] + spot["x"], frame["y"] + spot["y"])
        try:
            _wait_nodes(page, before)
            return
        except sync_api.TimeoutError:
            continue
    pytest.fail("no node expansion grew the graph")

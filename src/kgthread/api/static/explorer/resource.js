// Explorer resource page: summary, link groups paged by "more" buttons, provenance, and a
// cytoscape neighbourhood graph that expands on click without moving existing nodes.
"use strict";
(function () {
  const iri = new URLSearchParams(window.location.search).get("iri");
  const $ = (id) => document.getElementById(id);
  const pageUrl = (target) => "/explore/resource?iri=" + encodeURIComponent(target);
  const api = async (path, params) => {
    const response = await fetch(path + "?" + new URLSearchParams(params));
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    return response.json();
  };
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  };
  const term = (info) => el("abbr", info.label, { title: info.definition || info.iri });

  function renderSummary(doc) {
    document.title = "kgthread explorer: " + (doc.label || doc.iri);
    $("title").textContent = doc.label || doc.iri;
    $("iri").textContent = doc.iri;
    const types = $("types");
    types.replaceChildren();
    doc.types.forEach((t, i) => { if (i) types.append(", "); types.append(term(t)); });
    if (doc.types.some((t) => t.iri.endsWith("#SerializedUnit"))) {
      $("timeline-link").hidden = false;
      $("timeline-link").querySelector("a").href =
        "/explore/timeline?iri=" + encodeURIComponent(doc.iri);
    }
    const body = $("props").querySelector("tbody");
    body.replaceChildren();
    doc.literals.forEach((lit) => {
      const row = el("tr");
      const head = el("th", null, { scope: "row" });
      head.append(term(lit.predicate));
      row.append(head, el("td", lit.value), el("td", lit.unit || ""));
      body.append(row);
    });
    ["out", "in"].forEach((direction) => {
      const box = $(direction);
      box.replaceChildren();
      const groups = doc.groups.filter((g) => g.direction === direction);
      if (!groups.length) box.append(el("p", "None."));
      groups.forEach((group) => box.append(renderGroup(group)));
    });
  }

  function renderGroup(group) {
    const details = el("details", null, { "data-predicate": group.predicate.iri });
    const summary = el("summary");
    summary.append(term(group.predicate), " (" + group.count + ")");
    const list = el("ul");
    const more = el("button", "more", { type: "button" });
    more.hidden = true;
    let next = 0;
    let loaded = false;
    async function load() {
      more.disabled = true;
      const page = await api("/explore/api/links", {
        iri, predicate: group.predicate.iri, direction: group.direction, offset: next,
      });
      page.items.forEach((item) => {
        const li = el("li");
        li.append(item.iri.startsWith("_:") ? el("span", item.label)
          : el("a", item.label || item.iri, { href: pageUrl(item.iri) }));
        if (item.class) li.append(" ", el("span", item.class, { class: "kind" }));
        const sources = item.provenance.map((p) => p.files || p.batch || p.graph).join("; ");
        if (sources) li.append(" ", el("span", "from " + sources, { class: "prov" }));
        list.append(li);
      });
      next = page.next_offset;
      more.hidden = next === null;
      more.disabled = false;
      more.setAttribute("aria-label", "More " + group.predicate.label + " links");
    }
    details.addEventListener("toggle", () => {
      if (details.open && !loaded) { loaded = true; load().catch(showError); }
    });
    more.addEventListener("click", () => { load().catch(showError); });
    details.append(summary, list, more);
    if (group.count <= 5) details.open = true;
    return details;
  }

  function showError(error) {
    $("error").textContent = String(error.message || error);
  }

  let cy = null;
  const expanded = new Set();

  function addNeighbours(data, around) {
    const fresh = [];
    cy.batch(() => {
      data.nodes.forEach((n) => {
        if (cy.getElementById(n.id).nonempty()) return;
        const position = around
          ? { x: around.x + (Math.random() - 0.5) * 240, y: around.y + (Math.random() - 0.5) * 240 }
          : undefined;
        fresh.push(cy.add({ group: "nodes", data: n, classes: n.class, position }));
      });
      data.edges.forEach((e) => {
        const id = e.source + " " + e.label + " " + e.target;
        if (cy.getElementById(id).empty()) {
          cy.add({ group: "edges", data: { id, source: e.source, target: e.target, label: e.label } });
        }
      });
    });
    $("node-count").textContent = String(cy.nodes().length);
    return cy.collection(fresh);
  }

  async function expand(node) {
    if (expanded.has(node.id())) return;
    expanded.add(node.id());
    const data = await api("/explore/api/neighbours", { iri: node.id() });
    const existing = cy.nodes();
    existing.lock();
    const fresh = addNeighbours(data, node.position());
    if (fresh.length) {
      fresh.layout({ name: "concentric", boundingBox: {
        x1: node.position("x") - 200, y1: node.position("y") - 200, w: 400, h: 400 },
        animate: false }).run();
    }
    existing.unlock();
  }

  async function graph() {
    if (typeof cytoscape === "undefined") {
      $("graph").textContent = "Graph view unavailable (cytoscape not installed: run npm ci).";
      return;
    }
    cy = cytoscape({
      container: $("graph"),
      maxZoom: 1.5,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 9, width: 18, height: 18,
          "text-wrap": "ellipsis", "text-max-width": "110px", "min-zoomed-font-size": 6,
          "background-color": "#829ab1" } },
        { selector: "node.serialized-unit", style: { "background-color": "#2680c2" } },
        { selector: "node.material-lot, node.material-sublot",
          style: { "background-color": "#f0b429", shape: "diamond" } },
        { selector: "node.work-order", style: { "background-color": "#3ebd93", shape: "square" } },
        { selector: "node.part, node.part-revision",
          style: { "background-color": "#9446ed", shape: "triangle" } },
        { selector: "edge", style: { width: 1, "line-color": "#bcccdc", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "target-arrow-color": "#bcccdc" } },
      ],
    });
    const data = await api("/explore/api/neighbours", { iri });
    expanded.add(iri);
    addNeighbours(data, null);
    cy.layout({ name: "concentric", animate: false }).run();
    window.kgtExplorer = { cy };
    cy.on("tap", "node", (event) => { expand(event.target).catch(showError); });
    cy.on("dbltap", "node", (event) => { window.location.href = pageUrl(event.target.id()); });
  }

  if (!iri) { showError("No resource given: add ?iri= to the address."); return; }
  api("/explore/api/summary", { iri }).then(renderSummary).catch(showError);
  graph().catch(showError);
})();

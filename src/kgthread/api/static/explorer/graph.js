// Explorer neighbourhood graph (cytoscape): expands on click without moving placed nodes,
// filters by predicate and by type, inferred links dashed, at most MAX_NODES nodes. The
// keyboard reaches every node through a listbox beside the canvas (and on the canvas
// itself): ArrowDown/ArrowUp select, E or + expands, Enter opens.
"use strict";
window.kgtGraph = (function () {
  const { $, api, el, pageUrl, showError } = window.kgt;
  const MAX_NODES = 500;
  let cy = null;
  let root = null;
  const expanded = new Set();
  const shown = { predicates: new Map(), types: new Map() };
  let active = -1;

  const STYLE = [
    { selector: "node", style: { label: "data(label)", "font-size": 9, width: 18, height: 18,
      "text-wrap": "ellipsis", "text-max-width": "110px", "min-zoomed-font-size": 6,
      "background-color": "#829ab1" } },
    { selector: "node.serialized-unit", style: { "background-color": "#2680c2" } },
    { selector: "node.material-lot, node.material-sublot",
      style: { "background-color": "#f0b429", shape: "diamond" } },
    { selector: "node.work-order, node.operation",
      style: { "background-color": "#3ebd93", shape: "square" } },
    { selector: "node.part, node.part-revision, node.assembly-usage",
      style: { "background-color": "#9446ed", shape: "triangle" } },
    { selector: "node.equipment, node.sensor",
      style: { "background-color": "#486581", shape: "hexagon" } },
    { selector: "node.inspection, node.measurement, node.nonconformance",
      style: { "background-color": "#e12d39", shape: "round-rectangle" } },
    { selector: "node.observation-summary", style: { "background-color": "#8eedc7" } },
    { selector: "node:selected, node.active",
      style: { "border-width": 3, "border-color": "#f0b429" } },
    { selector: "edge", style: { width: 1, "line-color": "#bcccdc", "curve-style": "bezier",
      "target-arrow-shape": "triangle", "target-arrow-color": "#bcccdc" } },
    { selector: "edge.inferred", style: { "line-style": "dashed", "line-color": "#9fb3c8" } },
    { selector: ".filtered", style: { display: "none" } },
  ];

  function visibleNodes() {
    return cy.nodes().filter((n) => !n.hasClass("filtered"));
  }

  function applyFilters() {
    const typeOk = (n) => n.id() === root || shown.types.get(n.data("type")) !== false;
    const reached = new Set([root]);
    const queue = [root];
    while (queue.length) {
      const id = queue.shift();
      cy.getElementById(id).connectedEdges().forEach((edge) => {
        if (shown.predicates.get(edge.data("predicate")) === false) return;
        const other = edge.source().id() === id ? edge.target() : edge.source();
        if (reached.has(other.id()) || !typeOk(other)) return;
        reached.add(other.id());
        queue.push(other.id());
      });
    }
    cy.batch(() => {
      cy.nodes().forEach((n) => { n.toggleClass("filtered", !reached.has(n.id())); });
      cy.edges().forEach((e) => {
        const hidden = shown.predicates.get(e.data("predicate")) === false ||
          e.source().hasClass("filtered") || e.target().hasClass("filtered");
        e.toggleClass("filtered", hidden);
      });
    });
    $("node-count").textContent = String(reached.size);
    $("node-total").textContent = String(cy.nodes().length);
    renderNodeList();
  }

  function checkbox(box, map, key, label, count) {
    if (map.has(key)) {
      box.querySelector("input[value='" + CSS.escape(key) + "']")
        .parentElement.querySelector(".count").textContent = "(" + count + ")";
      return;
    }
    map.set(key, true);
    const id = box.id + "-" + box.children.length;
    const input = el("input", null, { type: "checkbox", id, value: key });
    input.checked = true;
    input.addEventListener("change", () => { map.set(key, input.checked); applyFilters(); });
    const wrap = el("span", null, { class: "choice" });
    wrap.append(input, el("label", label, { for: id }), " ",
      el("span", "(" + count + ")", { class: "count" }));
    box.append(wrap);
  }

  function renderFilters() {
    const predicates = new Map();
    cy.edges().forEach((e) => {
      const known = predicates.get(e.data("predicate")) || { label: e.data("label"), n: 0 };
      known.n += 1;
      predicates.set(e.data("predicate"), known);
    });
    const types = new Map();
    cy.nodes().forEach((n) => {
      if (n.id() === root) return;
      const known = types.get(n.data("type")) || { label: n.data("typeLabel"), n: 0 };
      known.n += 1;
      types.set(n.data("type"), known);
    });
    predicates.forEach((v, k) => checkbox($("filter-predicates"), shown.predicates, k, v.label, v.n));
    types.forEach((v, k) => checkbox($("filter-types"), shown.types, k, v.label, v.n));
  }

  function renderNodeList() {
    const list = $("graph-nodes");
    const current = active >= 0 ? list.children[active] : null;
    const keep = current ? current.dataset.id : null;
    list.replaceChildren();
    visibleNodes().forEach((n, i) => {
      const li = el("li", n.data("label") + " (" + n.data("typeLabel") + ")",
        { id: "graph-node-" + i, role: "option", "aria-selected": "false" });
      li.dataset.id = n.id();
      if (expanded.has(n.id())) li.append(el("span", " expanded", { class: "kind" }));
      li.addEventListener("click", () => { select(i); });
      list.append(li);
    });
    const again = keep ? [...list.children].findIndex((li) => li.dataset.id === keep) : -1;
    select(again);
  }

  function select(index) {
    const items = $("graph-nodes").children;
    active = index;
    [...items].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    cy.nodes().removeClass("active");
    const chosen = items[index];
    // The listbox points at its option; the canvas has no DOM nodes to point at, so the
    // choice is announced through the live region below instead.
    if (chosen) $("graph-nodes").setAttribute("aria-activedescendant", chosen.id);
    else $("graph-nodes").removeAttribute("aria-activedescendant");
    if (chosen) {
      chosen.scrollIntoView({ block: "nearest" });
      cy.getElementById(chosen.dataset.id).addClass("active");
      $("graph-status").textContent = chosen.textContent + " selected";
    }
  }

  function onKey(event) {
    const items = $("graph-nodes").children;
    if (!items.length) return;
    if (["ArrowDown", "ArrowRight"].includes(event.key)) {
      event.preventDefault();
      select((active + 1) % items.length);
    } else if (["ArrowUp", "ArrowLeft"].includes(event.key)) {
      event.preventDefault();
      select(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      select(event.key === "Home" ? 0 : items.length - 1);
    } else if (active >= 0 && event.key === "Enter") {
      event.preventDefault();
      window.location.href = pageUrl(items[active].dataset.id);
    } else if (active >= 0 && ["e", "E", "+"].includes(event.key)) {
      event.preventDefault();
      expand(cy.getElementById(items[active].dataset.id)).catch(showError);
    }
  }

  function addNeighbours(data, around) {
    const fresh = [];
    let refused = 0;
    cy.batch(() => {
      data.nodes.forEach((n) => {
        if (cy.getElementById(n.id).nonempty()) return;
        if (cy.nodes().length >= MAX_NODES) { refused += 1; return; }
        const position = around
          ? { x: around.x + (Math.random() - 0.5) * 240, y: around.y + (Math.random() - 0.5) * 240 }
          : undefined;
        fresh.push(cy.add({ group: "nodes", data: n, classes: n.class, position }));
      });
      data.edges.forEach((e) => {
        const id = e.source + " " + e.predicate + " " + e.target;
        if (cy.getElementById(id).empty() && cy.getElementById(e.source).nonempty() &&
            cy.getElementById(e.target).nonempty()) {
          cy.add({ group: "edges", data: { id, ...e }, classes: e.inferred ? "inferred" : "" });
        }
      });
    });
    if (refused) {
      $("graph-status").textContent =
        "The graph holds at most " + MAX_NODES + " nodes; " + refused + " not added.";
    }
    renderFilters();
    applyFilters();
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
    $("graph-status").textContent = fresh.length + " node(s) added around " + node.data("label");
  }

  async function start(iri) {
    if (typeof cytoscape === "undefined") {
      $("graph").textContent = "Graph view unavailable (cytoscape not installed: run npm ci).";
      return;
    }
    root = iri;
    cy = cytoscape({ container: $("graph"), maxZoom: 1.5, style: STYLE,
      hideEdgesOnViewport: true });
    const data = await api("/explore/api/neighbours", { iri });
    expanded.add(iri);
    addNeighbours(data, null);
    cy.layout({ name: "concentric", animate: false }).run();
    window.kgtExplorer = { cy, expand, applyFilters };
    cy.on("tap", "node", (event) => { expand(event.target).catch(showError); });
    cy.on("dbltap", "node", (event) => { window.location.href = pageUrl(event.target.id()); });
    $("graph-nodes").addEventListener("keydown", onKey);
    $("graph").addEventListener("keydown", onKey);
  }

  return { start };
})();

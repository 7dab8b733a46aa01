// Explorer resource page: summary (types, properties), link groups (links.js), the
// neighbourhood graph (graph.js) and, for a unit, its design-conformance report
// (/explore/api/conformance; the section stays hidden when there is none).
"use strict";
(function () {
  const { $, api, el, term, link, showError, enabled, features } = window.kgt;
  const iri = new URLSearchParams(window.location.search).get("iri");

  function renderSummary(doc) {
    document.title = "kgthread explorer: " + (doc.label || doc.iri);
    $("title").textContent = doc.label || doc.iri;
    $("iri").textContent = doc.iri;
    const types = $("types");
    types.replaceChildren();
    doc.types.forEach((t, i) => {
      if (i) types.append(", ");
      types.append(term(t));
      if (t.inferred) types.append(" ", el("span", "(inferred)", { class: "kind" }));
    });
    if (doc.types.some((t) => t.iri.endsWith("#SerializedUnit"))) {
      $("timeline-link").hidden = false;
      $("timeline-link").querySelector("a").href =
        "/explore/timeline?iri=" + encodeURIComponent(doc.iri);
      if (enabled.conformance) conformance(doc.iri).catch(showError);
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
      groups.forEach((group) => box.append(window.kgtLinks.renderGroup(group)));
    });
  }

  const cell = (value) => {
    const td = el("td");
    if (value && /^[a-z][a-z0-9+.-]*:/i.test(value) && !/\s/.test(value)) td.append(link(value));
    else td.textContent = value === null || value === undefined ? "" : String(value);
    return td;
  };

  async function conformance(unit) {
    // The explorer's own endpoint answers null for a unit without a report (none at all
    // while the reasoner is off), so the page logs no failed request for it.
    const { report } = await api("/explore/api/conformance", { iri: unit });
    if (!report) return;  // no report: stay hidden
    const verdict = $("conf-verdict");
    verdict.replaceChildren(report.conforms ? "Conforms to its design revision "
      : (report.findings || []).length + " finding(s) against its design revision ");
    if (report.revision) verdict.append(link(report.revision));
    verdict.className = report.conforms ? "ok" : "bad";
    const body = $("conf-findings").querySelector("tbody");
    body.replaceChildren(...(report.findings || []).map((f) => {
      const row = el("tr", null, { class: "finding-" + f.kind });
      row.append(el("td", f.kind), cell(f.usage), cell(f.part), cell(f.expected),
        cell(f.actual), cell(f.component));
      return row;
    }));
    $("conf-findings").hidden = !(report.findings || []).length;
    $("conformance").hidden = false;
  }

  if (!iri) { showError("No resource given: add ?iri= to the address."); return; }
  Promise.all([api("/explore/api/summary", { iri }), features])
    .then(([doc]) => renderSummary(doc)).catch(showError);
  window.kgtGraph.start(iri).catch(showError);
})();

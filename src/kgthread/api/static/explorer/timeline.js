// Explorer unit timeline: the unit-history named query (/api/queries/unit-history), oldest
// first, each event and piece of equipment linked to its explorer page.
"use strict";
(function () {
  const unit = new URLSearchParams(window.location.search).get("iri");
  const $ = (id) => document.getElementById(id);
  const pageUrl = (iri) => "/explore/resource?iri=" + encodeURIComponent(iri);
  const short = (iri) => decodeURIComponent(iri.split("/id/").slice(1).join("/id/") || iri);
  const link = (iri) => {
    const a = document.createElement("a");
    a.href = pageUrl(iri);
    a.textContent = short(iri);
    return a;
  };
  const cell = (...parts) => {
    const td = document.createElement("td");
    parts.filter((p) => p !== null && p !== undefined && p !== "").forEach((p, i) => {
      if (i) td.append(" ");
      td.append(p);
    });
    return td;
  };

  function detail(row) {
    if (row.kind === "sensor-summary") {
      return [short(row.property || ""), "mean " + row.mean, "min " + row.minimum,
        "max " + row.maximum];
    }
    if (row.kind === "inspection") return [row.passed ? "passed" : "failed"];
    if (row.kind === "nonconformance") return [row.disposition || ""];
    if (row.kind === "built-into" && row.party) return ["into", link(row.party)];
    if (row.kind === "shipment" && row.party) return ["to", link(row.party)];
    return row.equipment ? ["on", link(row.equipment)] : [];
  }

  async function load() {
    if (!unit) throw new Error("No unit given: add ?iri= to the address.");
    $("title").textContent = "Timeline of " + short(unit);
    $("back").href = pageUrl(unit);
    const response = await fetch("/api/queries/unit-history?" + new URLSearchParams({ unit }));
    const doc = await response.json();
    if (!response.ok) throw new Error(doc.detail || response.statusText);
    const body = $("timeline").querySelector("tbody");
    doc.rows.forEach((row) => {
      const tr = document.createElement("tr");
      tr.className = "event-" + row.kind;
      tr.append(cell(row.at || "(no time)"), cell(row.kind), cell(link(row.event)),
        cell(...detail(row)));
      body.append(tr);
    });
    if (!doc.rows.length) $("error").textContent = "No events recorded for this unit.";
  }

  load().catch((error) => { $("error").textContent = String(error.message || error); });
})();

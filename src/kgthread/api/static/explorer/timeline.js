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

  // The plot: an SVG with one row per sensor property (min-max band and mean of each
  // summary) and one row of quality events, on a shared time axis.
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, title) => {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (title) {
      const t = document.createElementNS(SVG, "title");
      t.textContent = title;
      node.append(t);
    }
    return node;
  };

  function plot(rows) {
    const timed = rows.filter((r) => r.at && !Number.isNaN(Date.parse(r.at)));
    const summaries = timed.filter((r) => r.kind === "sensor-summary" && r.mean !== undefined);
    const quality = timed.filter((r) => r.kind === "inspection" || r.kind === "nonconformance");
    const box = $("plot");
    if (!summaries.length && !quality.length) {
      box.textContent = "Nothing to plot: no sensor summaries or inspections with a time.";
      return;
    }
    const times = timed.map((r) => Date.parse(r.at));
    const t0 = Math.min(...times);
    const t1 = Math.max(...times, t0 + 1);
    const properties = [...new Set(summaries.map((r) => r.property))];
    const left = 170, width = 900, rowHeight = 60, gap = 14;
    const height = (properties.length + 1) * (rowHeight + gap) + 20;
    const x = (at) => left + ((Date.parse(at) - t0) / (t1 - t0)) * (width - left - 20);
    const chart = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": "Plot of " + summaries.length + " sensor summaries over " +
      properties.length + " properties and " + quality.length + " quality events" });
    properties.forEach((property, i) => {
      const mine = summaries.filter((r) => r.property === property);
      const low = Math.min(...mine.map((r) => Number(r.minimum)));
      const high = Math.max(...mine.map((r) => Number(r.maximum)), low + 1e-9);
      const top = 10 + i * (rowHeight + gap);
      const y = (v) => top + rowHeight - ((Number(v) - low) / (high - low)) * rowHeight;
      const row = svg("g", { class: "plot-row", "data-property": property });
      row.append(svg("rect", { x: left, y: top, width: width - left - 10, height: rowHeight,
        fill: "#f0f4f8" }));
      const label = svg("text", { x: 4, y: top + rowHeight / 2, "font-size": 11 });
      label.textContent = short(property);
      row.append(label);
      [[high, top + 9], [low, top + rowHeight]].forEach(([v, at]) => {
        const tick = svg("text", { x: left - 6, y: at, "font-size": 9, "text-anchor": "end" });
        tick.textContent = Number(v).toPrecision(4);
        row.append(tick);
      });
      let path = "";
      mine.forEach((r) => {
        const cx = x(r.at);
        const what = short(property) + " at " + r.at + ": min " + r.minimum + ", mean " +
          r.mean + ", max " + r.maximum;
        row.append(svg("rect", { class: "band", x: cx - 4, y: y(r.maximum), width: 8,
          height: Math.max(1, y(r.minimum) - y(r.maximum)), fill: "#9fb3c8" }, what));
        row.append(svg("circle", { class: "mean", cx, cy: y(r.mean), r: 3, fill: "#243b53" },
          what));
        path += (path ? " L" : "M") + cx + " " + y(r.mean);
      });
      row.append(svg("path", { d: path, fill: "none", stroke: "#486581", "stroke-width": 1 }));
      chart.append(row);
    });
    const top = 10 + properties.length * (rowHeight + gap);
    const events = svg("g", { class: "plot-quality" });
    const label = svg("text", { x: 4, y: top + 24, "font-size": 11 });
    label.textContent = "inspections, NCs";
    events.append(label, svg("line", { x1: left, x2: width - 10, y1: top + 20, y2: top + 20,
      stroke: "#bcccdc" }));
    quality.forEach((r) => {
      const cx = x(r.at);
      const failed = r.kind === "nonconformance" || r.passed === false || r.passed === "false";
      const what = r.kind + " at " + r.at + (r.kind === "inspection"
        ? (failed ? ": failed" : ": passed") : ": " + (r.disposition || ""));
      events.append(r.kind === "inspection"
        ? svg("circle", { class: "inspection", cx, cy: top + 20, r: 5,
          fill: failed ? "#e12d39" : "#3ebd93" }, what)
        : svg("path", { class: "nonconformance", fill: "#ab091e",
          d: "M" + cx + " " + (top + 30) + " l6 10 l-12 0 z" }, what));
    });
    const start = svg("text", { x: left, y: height - 2, "font-size": 9 });
    start.textContent = new Date(t0).toISOString().slice(0, 16).replace("T", " ");
    const end = svg("text", { x: width - 10, y: height - 2, "font-size": 9, "text-anchor": "end" });
    end.textContent = new Date(t1).toISOString().slice(0, 16).replace("T", " ");
    chart.append(events, start, end);
    box.replaceChildren(chart);
  }

  async function load() {
    if (!unit) throw new Error("No unit given: add ?iri= to the address.");
    $("title").textContent = "Timeline of " + short(unit);
    $("back").href = pageUrl(unit);
    const response = await fetch("/api/queries/unit-history?" + new URLSearchParams({ unit, limit: 1000 }));
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
    plot(doc.rows);
  }

  load().catch((error) => { $("error").textContent = String(error.message || error); });
})();

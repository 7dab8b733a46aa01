// Explorer link groups: one <details> per predicate and direction, paged both ways by the
// opaque cursors of /explore/api/links; inferred links are marked and can be explained
// (/api/explain: rule and asserted premises).
"use strict";
window.kgtLinks = (function () {
  const { api, el, term, link, pageUrl, showError, HttpError, enabled } = window.kgt;
  const iri = new URLSearchParams(window.location.search).get("iri");

  async function explain(item, group, box, button) {
    const [subject, object] = group.direction === "out" ? [iri, item.iri] : [item.iri, iri];
    box.hidden = false;
    box.replaceChildren(el("p", "Explaining…"));
    try {
      const doc = await api("/api/explain", { subject, predicate: group.predicate.iri, object });
      const list = el("ol");
      (doc.premises || []).forEach((p) => {
        const li = el("li");
        li.append(link(p.subject), " ", el("span", p.predicate.split(/[#/]/).pop(), {
          class: "kind", title: p.predicate }), " ", link(p.object));
        if (p.graph) li.append(" ", el("span", "in " + p.graph, { class: "prov" }));
        list.append(li);
      });
      box.replaceChildren(el("p", "Rule: " + doc.rule), el("p", "Because:"), list);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 404) throw error;
      box.replaceChildren(el("p", "No explanation available for this link."));
      button.hidden = true;
    }
  }

  function renderItem(item, group) {
    const li = el("li");
    li.append(link(item.iri, item.label || item.iri));
    if (item.class) li.append(" ", el("span", item.class, { class: "kind" }));
    if (item.inferred) {
      li.classList.add("inferred");
      const box = el("div", null, { class: "explanation", role: "region",
        "aria-label": "Why " + (item.label || item.iri) + " is linked" });
      box.hidden = true;
      const button = el("button", "explain", { type: "button", class: "explain",
        "aria-label": "Explain the inferred link to " + (item.label || item.iri) });
      button.addEventListener("click", () => {
        if (!box.hidden) { box.hidden = true; return; }
        explain(item, group, box, button).catch(showError);
      });
      li.append(" ", el("span", "inferred", { class: "badge" }));
      if (enabled.explain) li.append(" ", button, box);
    }
    const sources = item.provenance.map((p) => p.files || p.batch || p.graph).join("; ");
    if (sources) li.append(" ", el("span", "from " + sources, { class: "prov" }));
    return li;
  }

  function renderGroup(group) {
    const details = el("details", null, {
      "data-predicate": group.predicate.iri, "data-direction": group.direction });
    const summary = el("summary");
    summary.append(term(group.predicate), " (" + group.count.toLocaleString("en") + ")");
    const list = el("ul");
    const nav = el("nav", null, { "aria-label": group.predicate.label + " pages" });
    const previous = el("button", "previous", { type: "button", class: "previous",
      "aria-label": "Previous " + group.predicate.label + " links" });
    const next = el("button", "next", { type: "button", class: "next",
      "aria-label": "Next " + group.predicate.label + " links" });
    const where = el("span", "", { class: "where", role: "status", "aria-live": "polite" });
    nav.append(previous, " ", where, " ", next);
    nav.hidden = true;
    let cursors = { next: null, previous: null };
    let loaded = false;
    async function load(cursor) {
      previous.disabled = next.disabled = true;
      const params = { iri, predicate: group.predicate.iri, direction: group.direction };
      if (cursor) params.cursor = cursor;
      const page = await api("/explore/api/links", params);
      list.replaceChildren(...page.items.map((item) => renderItem(item, group)));
      cursors = { next: page.next, previous: page.previous };
      previous.disabled = !page.previous;
      next.disabled = !page.next;
      const last = page.start + page.items.length;
      where.textContent = (page.items.length ? (page.start + 1) + "–" + last : "none") +
        " of " + page.total.toLocaleString("en");
      nav.hidden = !page.previous && !page.next;
      details.dataset.start = String(page.start);
    }
    details.addEventListener("toggle", () => {
      if (details.open && !loaded) { loaded = true; load(null).catch(showError); }
    });
    next.addEventListener("click", () => { load(cursors.next).catch(showError); });
    previous.addEventListener("click", () => { load(cursors.previous).catch(showError); });
    details.append(summary, nav, list);
    if (group.count <= 5) details.open = true;
    return details;
  }

  return { renderGroup, pageUrl };
})();

// Explorer SPARQL page: yasgui (from node_modules) against this server's /sparql, offline
// (no prefix.cc, no LOV look-ups, no CORS proxy, nothing kept in localStorage), prefixes
// pre-filled, the named queries offered as examples with sample values from the store, and
// every IRI in the results linked to its explorer page.
"use strict";
(function () {
  const { $, api, el, pageUrl, showError } = window.kgt;
  const endpoint = window.location.origin + "/sparql";

  function prologue(prefixes) {
    return Object.entries(prefixes).map(([p, ns]) => "PREFIX " + p + ": <" + ns + ">").join("\n");
  }

  // A named query as editor text: its header comment stays; each parameter's sample becomes
  // a VALUES row at the top of the WHERE clause (a placeholder comment when there is none).
  function exampleText(example) {
    const rows = example.parameters.map((p) => p.sample
      ? "  VALUES ?" + p.name + " { <" + p.sample + "> }  # parameter " + p.name
      : "  # parameter ?" + p.name + ": " + p.description);
    if (!rows.length) return example.text;
    return example.text.replace(/WHERE\s*\{/i, (where) => where + "\n" + rows.join("\n"));
  }

  // Yasr renders IRIs as links to themselves in a new window: point them at the explorer.
  function linkResults(root) {
    const rewrite = () => {
      root.querySelectorAll("a.iri:not([data-explorer])").forEach((a) => {
        const target = a.getAttribute("href");
        if (!target) return;
        a.dataset.explorer = target;
        a.href = pageUrl(target);
        a.removeAttribute("target");
        a.title = target;
      });
    };
    new MutationObserver(rewrite).observe(root, { childList: true, subtree: true });
    rewrite();
  }

  async function start() {
    if (typeof Yasgui === "undefined") {
      throw new Error("SPARQL editor unavailable (yasgui not installed: run npm ci).");
    }
    const doc = await api("/explore/api/examples", {});
    const yasgui = new Yasgui($("yasgui"), {
      requestConfig: { endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: () => [{ endpoint }], keys: [] },
      corsProxy: undefined,
      persistenceId: null,
      populateFromUrl: false,
      yasqe: {
        value: prologue(doc.prefixes) +
          "\n\nSELECT ?class (COUNT(*) AS ?n) WHERE { ?s a ?class }\nGROUP BY ?class ORDER BY DESC(?n)",
        prefixCcApi: null,
        autocompleters: ["prefixes", "variables"],
        persistenceId: null,
      },
      yasr: { prefixes: doc.prefixes, persistenceId: null },
    });
    // Whole IRIs, not ellipsed cells: an ellipsed link only expands on its first click.
    const table = yasgui.getTab().getYasr().plugins.table;
    if (table) table.persistentConfig.isEllipsed = false;
    linkResults($("yasgui"));
    const select = $("examples");
    doc.examples.forEach((example, i) => {
      select.append(el("option", example.name + ": " + example.summary.slice(0, 80), { value: i }));
    });
    select.addEventListener("change", () => {
      const example = doc.examples[Number(select.value)];
      if (!example) return;
      yasgui.getTab().setQuery(exampleText(example));
      $("example-help").textContent = example.summary + " " + example.parameters.map((p) =>
        p.name + " = " + (p.sample || "(no sample in the store: fill it in)")).join("; ");
    });
    window.kgtSparql = { yasgui };
  }

  start().catch(showError);
})();

// Explorer search box: debounced autocomplete over /explore/search, keyboard navigable
// (ArrowDown/ArrowUp move, Enter opens, Escape closes), an ARIA combobox with a listbox.
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("results");
  const status = document.getElementById("status");
  if (!input || !list) return;
  let timer = null;
  let active = -1;
  let seq = 0;

  const open = (iri) => {
    window.location.href = "/explore/resource?iri=" + encodeURIComponent(iri);
  };

  function select(index) {
    const items = list.querySelectorAll("li");
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0 && items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(results) {
    list.replaceChildren();
    results.forEach((hit, i) => {
      const li = document.createElement("li");
      li.id = "result-" + i;
      li.setAttribute("role", "option");
      li.dataset.iri = hit.iri;
      const match = document.createElement("span");
      match.textContent = hit.match + " ";
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = (hit.class || "") + " · " + hit.field;
      li.append(match, kind);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); open(hit.iri); });
      list.append(li);
    });
    input.setAttribute("aria-expanded", String(results.length > 0));
    if (status) status.textContent = results.length + " result(s)";
    select(-1);
  }

  async function lookup(q) {
    const mine = ++seq;
    if (!q.trim()) { render([]); return; }
    const response = await fetch("/explore/search?q=" + encodeURIComponent(q));
    if (!response.ok || mine !== seq) return;
    render((await response.json()).results);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { lookup(input.value); }, 250);
  });
  input.addEventListener("keydown", (event) => {
    const count = list.querySelectorAll("li").length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      select((active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      select(active <= 0 ? count - 1 : active - 1);
    } else if (event.key === "Enter") {
      const items = list.querySelectorAll("li");
      const chosen = items[active >= 0 ? active : 0];
      if (chosen) { event.preventDefault(); open(chosen.dataset.iri); }
    } else if (event.key === "Escape") {
      render([]);
    }
  });
})();

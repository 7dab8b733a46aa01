// Explorer helpers shared by the pages: element building, JSON fetches, explorer links.
"use strict";
window.kgt = (function () {
  const $ = (id) => document.getElementById(id);
  const pageUrl = (target) => "/explore/resource?iri=" + encodeURIComponent(target);
  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  const api = async (path, params) => {
    const response = await fetch(path + "?" + new URLSearchParams(params));
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (ignored) { /* not JSON */ }
      throw new HttpError(response.status, detail);
    }
    return response.json();
  };
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  };
  const term = (info) => el("abbr", info.label, { title: info.definition || info.iri });
  const short = (iri) => decodeURIComponent(iri.split("/id/").slice(1).join("/id/") || iri);
  const link = (iri, text) => el("a", text || short(iri), { href: pageUrl(iri) });
  const showError = (error) => {
    const box = $("error");
    if (box) box.textContent = String(error.message || error);
  };
  // Optional APIs of this server ({"explain": bool, "conformance": bool}), asked once.
  const enabled = {};
  const features = api("/explore/api/features", {})
    .then((found) => Object.assign(enabled, found))
    .catch(() => enabled);
  return { $, api, el, term, short, link, pageUrl, showError, HttpError, enabled, features };
})();

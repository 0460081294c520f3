// Small DOM and HTTP helpers shared by the portal's modules.

// h("div", {class: "x", onclick: fn}, child, ...) -> element; children may be strings, nodes, arrays, null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function humanize(id) {
  const text = String(id).replace(/[_-]+/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function signed(n) {
  return (n > 0 ? "+" : n < 0 ? "\u2212" : "\u00b1") + Math.abs(n).toFixed(1);
}

// Path segments that say nothing about the page (versions, languages, guide names, repository parts).
const GENERIC_SEGMENTS = new Set(["latest", "en", "en_us", "userguide", "developerguide", "ug", "index", "blob", "main", "docs"]);
// Page names that need the part before them to say which page they are.
const GENERIC_PAGES = new Set(["pricing", "welcome", "faqs", "features", "overview", "getting-started", "readme"]);
const MAX_LABEL = 70;

// What a source link says: the page, from the last meaningful part of its path, and its site (the
// service's guide on docs.aws.amazon.com). "memory optimized instances (EC2 docs)", not the host alone.
export function sourceLabel(url) {
  let u;
  try { u = new URL(url); } catch { return url; }
  const host = u.hostname.replace(/^www\./, "");
  let parts;
  try { parts = u.pathname.split("/").filter(Boolean).map(p => decodeURIComponent(p)); } catch { parts = []; }
  parts = parts.map(p => p.replace(/\.(html?|md)$/i, "")).filter(p => !GENERIC_SEGMENTS.has(p.toLowerCase()));
  if (!parts.length) return host;
  const last = parts.length - 1;
  const words = text => text.replace(/[-_+]+/g, " ").trim();
  // on docs.aws.amazon.com: the service, then any guide that is not the user guide ("EC2 docs, WindowsGuide")
  const site = host === "docs.aws.amazon.com" && last > 0
    ? [`${parts[0].replace(/^(Amazon|AWS)(?=[A-Z0-9])/, "")} docs`, ...parts.slice(1, last)].map(words).join(", ")
    : host;
  let page = parts[last];
  if (site === host && last > 0 && (/^[A-Z]+$/.test(page) || GENERIC_PAGES.has(page.toLowerCase()))) {
    page = `${parts[last - 1]} ${page}`; // "ecs pricing", "aws-containers SKILL", not "pricing"
  }
  page = words(page) + (u.hash.length > 1 ? `, ${words(u.hash.slice(1))}` : "");
  if (page.length > MAX_LABEL) page = `${page.slice(0, MAX_LABEL - 1)}\u2026`;
  return `${page} (${site})`;
}

// A link to a source document, opened in a new tab (and saying so), never sending a referrer.
export function sourceLink(url) {
  return h("a", {href: url, target: "_blank", rel: "noopener noreferrer", title: url}, sourceLabel(url),
    h("span", {class: "visually-hidden"}, " (opens in a new tab)"), h("span", {class: "new-tab", "aria-hidden": "true"}, "\u2197"));
}

export function sources(urls) {
  if (!urls || !urls.length) return null;
  return h("span", {class: "sources"}, "Sources: ", urls.map((u, i) => [i ? ", " : "", sourceLink(u)]));
}

export class ProblemError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "The request failed.");
    this.problem = problem;
  }
}

// POST a body; resolve with the parsed JSON, or reject with a ProblemError carrying an RFC 9457 problem.
export async function post(url, body, contentType = "application/json") {
  let response;
  try {
    response = await fetch(url, {method: "POST", headers: {"Content-Type": contentType, Accept: "application/json"}, body});
  } catch (err) {
    throw new ProblemError({title: "The service could not be reached.", detail: String(err.message || err), status: 0});
  }
  let data = null;
  try { data = await response.json(); } catch { /* not JSON: described below */ }
  if (!response.ok || data === null) {
    throw new ProblemError(data && typeof data === "object" ? data
      : {title: response.statusText || "Unexpected response", status: response.status,
        detail: `The service answered ${response.status} without a problem document.`});
  }
  return data;
}

// POST a body asking for a text representation (e.g. text/markdown); resolve with the text.
export async function postForText(url, body, accept, contentType = "application/json") {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": contentType, Accept: accept}, body});
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not a problem document */ }
    throw new ProblemError(problem || {title: `The service answered ${response.status}.`, status: response.status});
  }
  return response.text();
}

// Save text as a file, as if a download link had been followed.
export function download(text, fileName, type) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const link = h("a", {href: url, download: fileName, hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

// A name for a downloaded file: the document's name with anything unusual replaced by "-".
export const fileName = (name, suffix) => `${String(name).replace(/[^A-Za-z0-9._-]+/g, "-")}${suffix}`;

export async function getJSON(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  if (!response.ok) throw new ProblemError({title: `GET ${url} failed`, status: response.status, detail: `Status ${response.status}.`});
  return response.json();
}

// getText may return a promise (text fetched on demand).
export function copyButton(label, getText) {
  const button = h("button", {type: "button", class: "secondary small"}, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(await getText());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text instead";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

// base64url of UTF-8 text, for profiles (as JSON) and proposals carried in the URL.
export function encodeText(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeText(encoded) {
  const b64 = encoded.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder("utf-8", {fatal: true}).decode(Uint8Array.from(bin, c => c.charCodeAt(0)));
}

export const encodeState = value => encodeText(JSON.stringify(value));
export const decodeState = text => JSON.parse(decodeText(text));

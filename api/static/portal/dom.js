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

// A link to a source document, opened in a new tab, never sending a referrer.
export function sourceLink(url) {
  let label = url;
  try { label = new URL(url).hostname.replace(/^www\./, ""); } catch { /* keep the raw text */ }
  return h("a", {href: url, target: "_blank", rel: "noopener noreferrer", title: url}, label);
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

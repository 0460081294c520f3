// The portal's entry point: views, URL state (#profile=, #view=, ?embed=1), submissions and the
// postMessage protocol for host pages that embed the portal in an iframe.
import {h, post, postForText, getJSON, encodeState, decodeState, encodeText, decodeText, ProblemError} from "./dom.js";
import {buildQuestionnaire} from "./form.js";
import {renderRecommendation, skeleton} from "./results.js";
import {renderEvaluation, contentTypeOf, lineEditor} from "./evaluate.js";

const $ = id => document.getElementById(id);
const embedded = new URLSearchParams(location.search).get("embed") === "1";
document.documentElement.classList.toggle("embed", embedded);

let questionnaire = null;
let embedOrigins = [];
let domainTitles = null;  // a promise of each domain's name, from the knowledge base (/v1/knowledge)

// Asked for with the first recommendation, at the same time (not after it); asked again if it failed.
function titles() {
  if (domainTitles === null) {
    domainTitles = getJSON("/v1/knowledge")
      .then(kb => Object.fromEntries(kb.domains.map(d => [d.id, d.name])), () => { domainTitles = null; return {}; });
  }
  return domainTitles;
}

function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ""));
}

function setHash(params) {
  const text = params.toString();
  history.replaceState(null, "", text ? `#${text}` : location.pathname + location.search);
}

const TABS = [["tab-recommend", "recommend"], ["tab-evaluate", "evaluate"]];

function showView(view) {
  const evaluate = view === "evaluate";
  $("recommend-view").hidden = evaluate;
  $("evaluate-view").hidden = !evaluate;
  for (const [id, name] of TABS) {
    const selected = name === (evaluate ? "evaluate" : "recommend");
    $(id).setAttribute("aria-selected", String(selected));
    $(id).tabIndex = selected ? 0 : -1;
  }
}

function selectView(view) {
  const params = hashParams();
  if (view === "recommend") params.delete("view"); else params.set("view", view);
  setHash(params);
  showView(view);
}

// The view tabs (WAI-ARIA tabs): Space or Enter selects a tab, the arrow keys, Home and End move
// between tabs and select the one they reach.
for (const [index, [id, view]] of TABS.entries()) {
  $(id).addEventListener("click", () => selectView(view));
  $(id).addEventListener("keydown", event => {
    const to = {ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1}[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const [nextId, nextView] = TABS[(to + TABS.length) % TABS.length];
    selectView(nextView);
    $(nextId).focus();
  });
}

// Keep the result area's height while it reloads, so nothing below it jumps.
function busy(area, on) {
  area.setAttribute("aria-busy", String(on));
  if (on) {
    area.style.minHeight = `${Math.max(area.offsetHeight, 240)}px`;
    area.replaceChildren(h("h2", {class: "visually-hidden"}, "Loading"), skeleton());
  } else {
    area.style.minHeight = "";
  }
}

// alert: false when the errors are announced elsewhere (next to a field), so one alert fires at a time.
function problemView(problem, title = "The request failed", alert = true) {
  return h("div", {class: "card problem", role: alert ? "alert" : null},
    h("h2", {}, problem.title || title),
    problem.detail ? h("p", {}, problem.detail) : null,
    problem.status ? h("p", {class: "muted"}, `Status ${problem.status}`) : null);
}

function errorSummary(entries) {
  const box = $("error-summary");
  if (!entries.length) { box.hidden = true; box.replaceChildren(); return; }
  box.replaceChildren(
    h("h2", {}, entries.length === 1 ? "One answer needs fixing" : `${entries.length} answers need fixing`),
    h("ul", {}, entries.map(e => {
      const text = `${e.label ? `${e.label} (${e.path})` : e.path}: ${e.messages.join(" ")}`;
      return h("li", {}, e.target ? h("a", {href: `#${e.target}`, onclick: event => {
        event.preventDefault();
        const control = questionnaire.fieldFor(e.path);
        if (control) control.focus();
      }}, text) : text);
    })));
  box.hidden = false;
  box.focus();
}

// Move focus to a result's heading and bring it to the top of the screen, at every width (focus() alone
// does not scroll an element that is already partly visible).
function land(heading) {
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus({preventScroll: true});
  heading.scrollIntoView({block: "start"});
}

// While a request runs its button stays focusable (aria-disabled, not disabled, so focus does not fall
// to <body>) and ignores presses.
function setBusy(button, on) {
  if (on) button.setAttribute("aria-disabled", "true"); else button.removeAttribute("aria-disabled");
}
const isBusy = button => button.getAttribute("aria-disabled") === "true";

// Validate, post, render. Resolves with the result document; rejects with a ProblemError.
async function recommend(profile) {
  const area = $("result");
  questionnaire.clearErrors();
  errorSummary([]);
  $("form-status").textContent = "Working\u2026";
  setBusy($("submit-profile"), true);
  busy(area, true);
  try {
    const names = titles();
    const result = await post("/v1/recommendations", JSON.stringify(profile));
    const record = () => postForText("/v1/recommendations", JSON.stringify(profile), "text/markdown");
    area.replaceChildren(...renderRecommendation(result, await names, record).flat().filter(Boolean));
    area.parentElement.classList.add("has-result");
    $("form-status").textContent = `Done: ${Object.keys(result.recommendations || {}).length} decision(s).`;
    const params = hashParams();
    params.set("profile", encodeState(profile));
    setHash(params);
    $("share").disabled = false;
    return result;
  } catch (err) {
    const problem = err instanceof ProblemError ? err.problem : {title: String(err)};
    area.parentElement.classList.remove("has-result");
    if (problem.errors) {
      area.replaceChildren(h("h2", {id: "result-title"}, "Result"),
        h("p", {class: "placeholder"}, "Fix the highlighted answers and submit again."));
      errorSummary(questionnaire.showErrors(problem.errors));
    } else {
      area.replaceChildren(problemView(problem));
    }
    $("form-status").textContent = problem.title || "The request failed.";
    throw new ProblemError(problem);
  } finally {
    busy(area, false);
    setBusy($("submit-profile"), false);
  }
}

// On narrow screens the questionnaire's actions stay pinned at the bottom of the screen (portal.css); the page
// keeps their height free below a focused field (scroll-padding-bottom), so focus never hides behind them.
const pinned = matchMedia("(max-width: 900px)");
const actions = document.querySelector("#profile-form > .actions");
const keepClear = () => {
  document.documentElement.style.scrollPaddingBottom = pinned.matches ? `${actions.offsetHeight + 8}px` : "";
};
new ResizeObserver(keepClear).observe(actions);
pinned.addEventListener("change", keepClear);

$("profile-form").addEventListener("submit", event => {
  event.preventDefault();
  if (!questionnaire || isBusy($("submit-profile"))) return;
  const {profile, problems} = questionnaire.read();
  if (Object.keys(problems).length) {
    errorSummary(questionnaire.showErrors(problems));
    return;
  }
  recommend(profile).then(() => land($("result-title")), () => { /* shown in the page */ });
});

// Copy the address (without embed=1) for others to open the same result.
async function copyLink(status, what) {
  try {
    const url = new URL(location.href);
    url.searchParams.delete("embed");
    await navigator.clipboard.writeText(url.toString());
    status.textContent = "Share link copied.";
  } catch {
    status.textContent = `Copy the address bar to share this ${what}.`;
  }
}

$("share").addEventListener("click", () => copyLink($("form-status"), "result"));
$("share-proposal").addEventListener("click", () => copyLink($("proposal-status"), "evaluation"));

$("start-over").addEventListener("click", () => {
  if (!questionnaire) return;
  questionnaire.reset();
  errorSummary([]);
  $("form-status").textContent = "Every answer is back to its default.";
});

const editor = lineEditor($("proposal-text"), $("proposal-gutter"), $("proposal-line-mark"));

function setProposal(text) {
  $("proposal-text").value = text;
  editor.refresh();
}

$("proposal-example").addEventListener("click", async () => {
  try {
    const response = await fetch(new URL("example-proposal.yaml", import.meta.url));
    if (!response.ok) throw new Error(`status ${response.status}`);
    setProposal(await response.text());
    $("proposal-text").focus();
  } catch {
    $("proposal-status").textContent = "The example could not be loaded.";
  }
});

$("proposal-file").addEventListener("change", async event => {
  const file = event.target.files[0];
  if (file) setProposal(await file.text());
});

// A proposal travels in the address (#proposal=, base64url of its UTF-8 text) up to this many bytes.
const MAX_SHARED_PROPOSAL_BYTES = 16384;

$("proposal-form").addEventListener("submit", event => {
  event.preventDefault();
  if (!isBusy($("submit-proposal"))) evaluate($("proposal-text").value, []).then(ok => { if (ok) land($("evaluation").querySelector("h2")); });
});

// Post a proposal and show its evaluation, its diagram and the diagram drawn by the server (diagram.svg), in
// one request; `expand` lists the VPCs to draw in full when a large proposal's subnets are folded. Resolves
// with whether it was evaluated.
async function evaluate(text, expand = []) {
  const area = $("evaluation");
  const errors = $("proposal-errors");
  errors.replaceChildren();
  editor.clear();
  $("proposal-text").removeAttribute("aria-invalid");
  if (!text.trim()) {
    errors.append(h("p", {}, "Paste a proposal or upload a file first."));
    $("proposal-text").setAttribute("aria-invalid", "true");
    return false;
  }
  $("proposal-status").textContent = "Evaluating\u2026";
  setBusy($("submit-proposal"), true);
  busy(area, true);
  try {
    const query = expand.length ? `&expand=${encodeURIComponent(expand.join(","))}` : "";
    const result = await post(`/v1/evaluations?diagram=svg${query}`, text, contentTypeOf(text));
    const onExpand = vpc => evaluate(text, [...expand, vpc]);
    area.replaceChildren(...renderEvaluation(result, onExpand).flat().filter(Boolean));
    const params = hashParams();
    params.set("view", "evaluate");
    const size = new TextEncoder().encode(text).length;
    if (size <= MAX_SHARED_PROPOSAL_BYTES) params.set("proposal", encodeText(text)); else params.delete("proposal");
    setHash(params);
    $("share-proposal").disabled = size > MAX_SHARED_PROPOSAL_BYTES;
    $("proposal-status").textContent = `Verdict: ${result.verdict}.` + (size > MAX_SHARED_PROPOSAL_BYTES
      ? ` The proposal is too large to share by link (${Math.ceil(size / 1024)} KB, the limit is ${MAX_SHARED_PROPOSAL_BYTES / 1024} KB): share the file.` : "");
    busy(area, false);
    return true;
  } catch (err) {
    const problem = err.problem || {title: String(err)};
    // a document that cannot be parsed names its line: "The request body cannot be parsed: line 3: ..."
    const line = problem.status === 400 && /\bline (\d+): (.*)$/s.exec(problem.detail || "");
    area.replaceChildren(problemView(problem, "The proposal could not be evaluated", !problem.errors && !line));
    if (problem.errors || line) $("proposal-text").setAttribute("aria-invalid", "true");
    const goTo = number => h("button", {type: "button", class: "secondary small", onclick: () => editor.go(number)}, `Go to line ${number}`);
    if (problem.errors) {
      // in the order of the text (the line each field was written on, from a YAML proposal), the first marked
      const lines = problem.lines || {};
      const entries = Object.entries(problem.errors).map(([path, msgs], index) => ({path, index, line: lines[path],
        text: [].concat(msgs).join(" ")})).sort((a, b) => (a.line || Infinity) - (b.line || Infinity) || a.index - b.index);
      errors.append(...entries.map(e => h("p", {"data-path": e.path}, e.line ? `Line ${e.line}: ` : "",
        h("code", {}, e.path), `: ${e.text}`, e.line ? [" ", goTo(e.line)] : null)));
      if (entries[0] && entries[0].line) editor.mark(entries[0].line);
    } else if (line) {
      const number = Number(line[1]);
      errors.append(h("p", {}, `Line ${number}: ${line[2]} `, goTo(number)));
      editor.mark(number);
    }
    $("proposal-status").textContent = problem.title || "The evaluation failed.";
    return false;
  } finally {
    busy(area, false);
    setBusy($("submit-proposal"), false);
  }
}

// Printing shows every panel: closed <details> open for the printout and close again after it.
let openedForPrint = [];
window.addEventListener("beforeprint", () => {
  openedForPrint = [...document.querySelectorAll("details:not([open])")];
  openedForPrint.forEach(d => { d.open = true; });
});
window.addEventListener("afterprint", () => {
  openedForPrint.forEach(d => { d.open = false; });
  openedForPrint = [];
});

// Apply the URL: the view, and a shared profile (filled in and recommended at once).
function applyHash() {
  const params = hashParams();
  showView(params.get("view") || "recommend");
  if (params.get("proposal")) applyProposal(params.get("proposal"));
  const encoded = params.get("profile");
  if (!encoded || !questionnaire) return;
  let profile;
  try {
    profile = decodeState(encoded);
  } catch {
    $("result").replaceChildren(problemView({title: "The shared link is damaged",
      detail: "The profile in the address could not be decoded. Fill in the questionnaire instead."}));
    return;
  }
  questionnaire.fill(profile);
  recommend(profile).catch(() => { /* shown in the page */ });
}

// A shared evaluation: the proposal is filled in and evaluated at once.
function applyProposal(encoded) {
  let text;
  try {
    text = decodeText(encoded);
  } catch {
    $("evaluation").replaceChildren(problemView({title: "The shared link is damaged",
      detail: "The proposal in the address could not be decoded. Paste the proposal instead."}));
    return;
  }
  setProposal(text);
  evaluate(text);
}

window.addEventListener("hashchange", () => {
  if (location.hash.includes("=")) applyHash();
});

// postMessage: {type: "recommender:profile", profile} from an allowed origin is answered, to that
// origin only, with {type: "recommender:result", result} or {type: "recommender:error", problem}.
// Messages that arrive before the questionnaire is built wait for it.
let started;
const ready = new Promise(resolve => { started = resolve; });

async function onMessage(event) {
  const data = event.data;
  if (!data || typeof data !== "object" || typeof data.type !== "string" || !data.type.startsWith("recommender:")) return;
  if (!(await ready)) return;
  if (!embedOrigins.includes(event.origin)) {
    console.warn(`recommender: ignored a message from ${event.origin}: not in the embed allow-list`);
    return;
  }
  if (data.type !== "recommender:profile") return;
  const reply = message => event.source.postMessage(message, event.origin);
  questionnaire.fill(data.profile);
  recommend(data.profile).then(
    result => reply({type: "recommender:result", result}),
    err => reply({type: "recommender:error", problem: err.problem || {title: String(err)}}));
}

function parentOrigin() {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try { return new URL(document.referrer).origin; } catch { return null; }
}

window.addEventListener("message", onMessage);

// What the server inlined in the page (api/portal.py): the embed origins and the profile's JSON Schema, so the
// questionnaire is built without a request. A page without it (the bare index.html) fetches both.
function inlined() {
  try { return JSON.parse($("portal-data").textContent); } catch { return null; }
}

async function start() {
  showView(hashParams().get("view") || "recommend");
  try {
    const data = inlined();
    const [config, schema] = data ? [data, data.profile_schema]
      : await Promise.all([getJSON("/portal/config.json"), getJSON("/v1/schemas/profile")]);
    embedOrigins = config.embed_origins || [];
    questionnaire = buildQuestionnaire(schema, $("questions"));
  } catch (err) {
    $("questions").replaceChildren(problemView(err.problem || {title: String(err)}, "The questionnaire could not be loaded"));
    $("questions").removeAttribute("aria-busy");
    started(false);
    return;
  }
  started(true);
  applyHash();
  const origin = window.parent !== window ? parentOrigin() : null;
  if (origin && embedOrigins.includes(origin)) window.parent.postMessage({type: "recommender:ready"}, origin);
}

start();

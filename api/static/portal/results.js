// The result view of a recommendation (response.md): one card per domain, then network rules,
// findings and assumptions.
import {h, humanize, signed, sources, copyButton, download, fileName} from "./dom.js";

const SHOWN = 5;          // ranked options listed before "show more"
const SHOWN_EXCLUDED = 3; // excluded options listed open
export const SEVERITIES = ["critical", "high", "medium", "low", "info"];

// record: () => a promise of the decision record (markdown), fetched when first asked for.
export function renderRecommendation(doc, titles = {}, record = null) {
  const domains = Object.entries(doc.recommendations || {});
  return [
    h("div", {class: "result-head"},
      h("h2", {id: "result-title"}, doc.name ? `Result for ${doc.name}` : "Result"),
      doc.knowledge_base ? h("p", {class: "meta"}, `Knowledge base ${doc.knowledge_base.version}`,
        doc.knowledge_base.policy ? ` \u00b7 organisation policy ${doc.knowledge_base.policy.name} ${doc.knowledge_base.policy.version}` : "") : null),
    domains.length ? summary(doc, titles, record) : h("p", {class: "placeholder"}, "No decision was asked for: switch on at least one section that answers a domain."),
    domains.map(([id, outcome]) => domainCard(id, outcome, titles[id])),
    doc.security_group_rules ? securityGroupRules(doc.security_group_rules) : null,
    doc.findings && doc.findings.length ? findingsBlock(doc.findings, "Findings", "h3") : null,
    assumptions(doc.assumptions || []),
  ];
}

const usd = v => `$${v.toLocaleString("en-US", {maximumFractionDigits: v >= 100 ? 0 : 2})}`;
const titleOf = (titles, id) => titles[id] || humanize(id);

// The answer of a domain in a few words: its plan's options, the suggested size, or the winner's name.
function answerOf(outcome) {
  const options = outcome.options || [];
  const names = Object.fromEntries([...options, ...(outcome.excluded || [])].map(o => [o.id, o.name || o.id]));
  if (outcome.plan && outcome.plan.options.length) return outcome.plan.options.map(id => names[id] || id).join(" + ");
  const top = options[0];
  if (!top) return null;
  const size = top.suggested_instance_type;
  return size ? `${top.name || top.id} (${size.name})` : top.name || top.id;
}

// The monthly estimate of a domain's answer: its plan's when it has one, else its top option's.
function answerCost(outcome) {
  const cost = outcome.plan && outcome.plan.cost ? outcome.plan.cost : (outcome.options || [])[0]?.cost;
  return cost || null;
}

// Estimates that price the same thing as another domain's: with containers on EC2 the launch type's
// estimate is the EC2 hosts, sized from the instance family's suggested type, so they count once.
const COUNTED_UNDER = {instance_family: "launch_type"};

// One line per decision (answer, confidence, monthly estimate, what it depends on or cannot meet) and
// the total of the estimates of the answers that apply: a conditional answer is not counted, nor an
// estimate another domain's already includes.
function summary(doc, titles, record) {
  const rows = Object.entries(doc.recommendations || {}).map(([id, outcome]) =>
    ({id, outcome, answer: answerOf(outcome), cost: answerCost(outcome), applies: !outcome.conditional_on}));
  const applying = new Set(rows.filter(r => r.applies && r.answer).map(r => r.id));
  for (const r of rows) r.under = applying.has(COUNTED_UNDER[r.id]) ? COUNTED_UNDER[r.id] : null;
  const counted = rows.filter(r => r.applies && r.answer && !r.under);
  const priced = counted.filter(r => r.cost && r.cost.monthly_usd !== null && r.cost.monthly_usd !== undefined);
  const total = priced.reduce((sum, r) => sum + r.cost.monthly_usd, 0);
  const unpriced = counted.filter(r => !priced.includes(r));
  const conditional = rows.filter(r => !r.applies);
  return h("section", {class: "card summary", "aria-labelledby": "summary-title"},
    h("header", {class: "card-head"}, h("h3", {id: "summary-title"}, "Summary")),
    h("p", {class: "headline"}, counted.map(r => r.answer).join(", ") || "No option meets every hard constraint.",
      priced.length ? h("strong", {}, `: about ${usd(total)} a month`) : null),
    h("ul", {class: "summary-list"}, rows.map(({id, outcome, answer, cost, applies, under}) => h("li", {"data-domain": id},
      h("span", {class: "label"}, `${titleOf(titles, id)}: `), answer || "every option is excluded",
      outcome.confidence ? ` \u2014 ${outcome.confidence} confidence` : "",
      cost ? (cost.monthly_usd === null || cost.monthly_usd === undefined ? " \u2014 no monthly estimate"
        : ` \u2014 about ${usd(cost.monthly_usd)} a month`) : "",
      applies ? "" : h("span", {class: "conditional-note"}, ` \u2014 only if ${conditionText(doc, titles, outcome.conditional_on)}, so not in the total`),
      applies && under ? h("span", {class: "conditional-note"}, ` \u2014 the same hosts as ${titleOf(titles, under)}, counted there`) : null,
      (outcome.unmet || []).length ? h("span", {class: "unmet-note"},
        ` \u2014 not met by any option: ${outcome.unmet.map(u => `${u.requirement} (wanted ${u.wanted})`).join(", ")}`) : null))),
    h("p", {class: "total"}, priced.length ? h("strong", {}, `Total: about ${usd(total)} a month`) : "No monthly estimate.",
      priced.length ? ` for ${priced.map(r => titleOf(titles, r.id)).join(", ")}` : "",
      unpriced.length ? `; without an estimate: ${unpriced.map(r => titleOf(titles, r.id)).join(", ")}` : "",
      conditional.length ? `; not counted: ${conditional.map(r => titleOf(titles, r.id)).join(", ")} (conditional)` : "",
      rows.some(r => r.applies && r.under) ? `; counted once: ${rows.filter(r => r.applies && r.under).map(r => `${titleOf(titles, r.id)} (in ${titleOf(titles, r.under)})`).join(", ")}` : "",
      "."),
    takeAway(doc, record));
}

// The decision record (the ADR the CLI writes) as a file or on the clipboard, the JSON, and a printout.
function takeAway(doc, record) {
  const name = doc.name || "recommendation";
  let fetched = null;
  const text = () => (fetched = fetched || record().catch(err => { fetched = null; throw err; }));
  return h("div", {class: "actions take-away"},
    record ? h("button", {type: "button", class: "secondary small", onclick: async event => {
      const button = event.currentTarget;
      try {
        download(await text(), fileName(name, "-decision-record.md"), "text/markdown");
      } catch {
        button.textContent = "The decision record could not be fetched: try again";
      }
    }}, "Download the decision record (Markdown)") : null,
    record ? copyButton("Copy the decision record", text) : null,
    h("button", {type: "button", class: "secondary small",
      onclick: () => download(JSON.stringify(doc, null, 2) + "\n", fileName(name, "-recommendation.json"), "application/json")},
      "Download JSON"),
    h("button", {type: "button", class: "secondary small", onclick: () => window.print()}, "Print"));
}

// "Launch type is Amazon EC2": the condition of a conditional answer, with the names of its domain and option.
function conditionText(doc, titles, on) {
  const other = (doc.recommendations || {})[on.domain] || {};
  const option = [...(other.options || []), ...(other.excluded || [])].find(o => o.id === on.option);
  return `${titleOf(titles, on.domain)} is ${option ? option.name || option.id : on.option}`;
}

function domainCard(id, outcome, title) {
  const options = outcome.options || [];
  const top = options[0];
  return h("article", {class: "card domain", "data-domain": id, "aria-labelledby": `d-${id}`},
    h("header", {class: "card-head"},
      h("h3", {id: `d-${id}`}, title || humanize(id)),
      outcome.confidence ? h("span", {class: `badge confidence-${outcome.confidence}`}, `${humanize(outcome.confidence)} confidence`) : null),
    top ? h("p", {class: "verdict"}, "Recommended: ", h("strong", {}, top.name || top.id)) :
      h("p", {class: "verdict"}, "Every option is excluded by a hard constraint."),
    outcome.conditional_on ? h("p", {class: "conditional"},
      `Only if ${humanize(outcome.conditional_on.domain)} is ${outcome.conditional_on.option}: ${outcome.conditional_on.reason}`) : null,
    outcome.plan && (outcome.plan.options.length > 1 || outcome.plan.required) ? planBlock(outcome.plan, [...options, ...(outcome.excluded || [])]) : null,
    (outcome.unmet || []).length ? h("div", {class: "unmet", role: "note"},
      h("p", {}, h("strong", {}, "Not met by any option:")),
      h("ul", {}, outcome.unmet.map(u => h("li", {"data-requirement": u.requirement},
        `${u.requirement} (wanted ${u.wanted}${u.best ? `; best: ${u.best.option} achieves ${u.best.achieves}` : ""}): ${u.advice} `,
        sources(u.sources || []))))) : null,
    h("ol", {class: "options"}, options.slice(0, SHOWN).map(o => optionItem(o, top))),
    options.length > SHOWN ? h("details", {class: "more"},
      h("summary", {}, `Show ${options.length - SHOWN} more ranked option${options.length - SHOWN > 1 ? "s" : ""}`),
      h("ol", {class: "options", start: String(SHOWN + 1)}, options.slice(SHOWN).map(o => optionItem(o, top)))) : null,
    options.length > 1 ? compareBlock(id, options) : null,
    (outcome.excluded || []).length ? h("details", {class: "excluded", open: outcome.excluded.length <= SHOWN_EXCLUDED},
      h("summary", {}, `Excluded (${outcome.excluded.length})`),
      h("ul", {}, outcome.excluded.map(x => h("li", {"data-option": x.id},
        h("strong", {}, x.name || x.id), x.category ? ` (${humanize(x.category)})` : "",
        h("ul", {class: "reasons"}, (x.reasons || []).map(r => h("li", {}, r.reason, " ", ruleTag(r.rule), " ", policyTag(r), " ", sources(r.sources)))))))) : null,
    outcome.what_would_change ? whatWouldChange(outcome.what_would_change) : null);
}

// "Compare two options": any two ranked options of a domain side by side (rank, score, base, estimate, size,
// caveats) and the rules that give them different points. Every score is base + the sum of its rationale
// (response.md), so these rules and the bases account for the whole gap; rules giving both the same points
// are only counted.
function compareBlock(domainId, options) {
  const byId = Object.fromEntries(options.map(o => [o.id, o]));
  const picker = (n, selected) => {
    const id = `compare-${domainId}-${n}`;
    return [h("label", {for: id}, n === 1 ? "Compare" : "with"),
      h("select", {id, "data-compare": String(n)}, options.map(o => h("option", {value: o.id, selected: o === selected}, `#${o.rank} ${o.name || o.id}`)))];
  };
  const [labelA, first] = picker(1, options[0]);
  const [labelB, second] = picker(2, options[1]);
  const status = h("p", {class: "compare-status", role: "status"});
  const table = h("div", {class: "compare-table"});
  const show = () => {
    const [a, b] = [byId[first.value], byId[second.value]];
    if (a === b) {
      status.textContent = "Pick two different options.";
      table.replaceChildren();
      return;
    }
    const gap = Math.round((Number(a.score) - Number(b.score)) * 100) / 100;
    status.textContent = gap ? `${nameOf(gap > 0 ? a : b)} scores ${Math.abs(gap).toFixed(1)} points more than ${nameOf(gap > 0 ? b : a)}.`
      : `${nameOf(a)} and ${nameOf(b)} score the same.`;
    table.replaceChildren(...comparison(a, b));
  };
  first.addEventListener("change", show);
  second.addEventListener("change", show);
  show();
  return h("details", {class: "compare", "data-domain": domainId},
    h("summary", {}, "Compare two options side by side"),
    h("div", {class: "compare-pick"}, labelA, first, labelB, second), status, table);
}

const nameOf = o => o.name || o.id;

function comparison(a, b) {
  const estimate = o => (!o.cost ? "\u2014" : o.cost.monthly_usd === null || o.cost.monthly_usd === undefined
    ? "No monthly estimate" : `About ${usd(o.cost.monthly_usd)} a month`);
  const size = o => (o.suggested_instance_type ? h("code", {}, o.suggested_instance_type.name) : "\u2014");
  const caveats = o => ((o.caveats || []).length ? h("ul", {}, o.caveats.map(c => h("li", {}, c))) : "None");
  const rows = [["Rank", o => `#${o.rank}`], ["Score", o => Number(o.score).toFixed(1)], ["Base score", o => String(o.base)],
    ["Monthly estimate", estimate], ["Suggested size", size], ["Caveats", caveats]]
    .filter(([label]) => label !== "Suggested size" || a.suggested_instance_type || b.suggested_instance_type);
  const impacts = o => new Map((o.rationale || []).map(r => [r.rule, r]));
  const [ia, ib] = [impacts(a), impacts(b)];
  const rules = [...new Set([...ia.keys(), ...ib.keys()])];
  const differ = rules.map(rule => ({rule, a: ia.get(rule), b: ib.get(rule)}))
    .map(d => ({...d, gap: Math.round(((d.a ? d.a.impact : 0) - (d.b ? d.b.impact : 0)) * 100) / 100}))
    .filter(d => d.gap)
    .sort((x, y) => Math.abs(y.gap) - Math.abs(x.gap) || (x.rule < y.rule ? -1 : 1));
  const same = rules.length - differ.length;
  const points = r => (r ? signed(r.impact) : "\u2014");
  return [
    h("div", {class: "table-wrap", role: "region", tabindex: "0", "aria-label": `${nameOf(a)} and ${nameOf(b)} side by side`},
      h("table", {class: "side-by-side"},
        h("thead", {}, h("tr", {}, h("td", {}), h("th", {scope: "col"}, nameOf(a)), h("th", {scope: "col"}, nameOf(b)))),
        h("tbody", {}, rows.map(([label, cell]) => h("tr", {}, h("th", {scope: "row"}, label), h("td", {}, cell(a)), h("td", {}, cell(b))))))),
    h("h4", {}, differ.length ? `Rules that give them different points (${differ.length})` : "No rule gives them different points"),
    differ.length ? stackedTable(["Rule", nameOf(a), nameOf(b), "In favour of"], differ.map(d => [
      h("span", {}, d.a && d.b && d.a.reason !== d.b.reason  // a rule computed per option says so for each
        ? [`${nameOf(a)}: ${d.a.reason} ${nameOf(b)}: ${d.b.reason}`] : (d.a || d.b).reason, " ", ruleTag(d.rule)),
      points(d.a), points(d.b),
      `${nameOf(d.gap > 0 ? a : b)} by ${Math.abs(d.gap).toFixed(1)}`]), `Rules that separate ${nameOf(a)} and ${nameOf(b)}`) : null,
    h("p", {class: "muted"}, same ? `${same} other rule${same > 1 ? "s give" : " gives"} both the same points.` : "",
      a.base !== b.base ? ` Their base scores differ by ${Math.abs(a.base - b.base).toFixed(1)}.` : ""),
  ];
}

function planBlock(plan, options) {
  const names = Object.fromEntries(options.map(o => [o.id, o.name || o.id]));
  return h("div", {class: "plan"},
    h("p", {}, h("strong", {}, "Plan: "), plan.options.map(id => names[id] || id).join(" + "),
      plan.cost && plan.cost.monthly_usd !== null ? ` (about $${Math.round(plan.cost.monthly_usd).toLocaleString("en-US")} a month)` : ""),
    h("ul", {}, Object.entries(plan.covers).map(([id, covered]) =>
      h("li", {"data-option": id}, `${names[id] || id}: ${covered.join(", ")}`))),
    (plan.required || []).length ? h("ul", {class: "reasons"}, plan.required.map(r => h("li", {},
      `${names[r.option] || r.option} is required: ${r.reason} `, policyTag(r), " ", sources(r.sources)))) : null);
}

function monthlyCost(cost) {
  return h("p", {class: "cost"},
    cost.monthly_usd === null ? "No monthly estimate: " : `About ${usd(cost.monthly_usd)} a month: `,
    h("small", {class: "muted"}, cost.basis));
}

function optionItem(o, top) {
  const score = Number(o.score) || 0;
  const bar = h("span", {class: "bar-fill"});
  bar.style.width = `${Math.max(0, Math.min(100, score))}%`;
  const size = o.suggested_instance_type;
  return h("li", {class: `option${o === top ? " top" : ""}`, "data-option": o.id},
    h("div", {class: "option-head"},
      h("span", {class: "rank", "aria-label": `Rank ${o.rank}`}, `#${o.rank}`),
      h("span", {class: "option-name"}, o.name || o.id, o.category ? h("small", {}, ` ${humanize(o.category)}`) : null),
      h("span", {class: "score"}, score.toFixed(1))),
    h("div", {class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(score),
      "aria-label": `Score of ${o.name || o.id}`}, bar),
    size ? h("p", {class: "size"}, "Suggested size: ", h("code", {}, size.name),
      ` \u2014 ${size.vcpus} vCPU, ${size.memory_gib} GiB`, size.gpus ? `, ${size.gpus} GPU` : "") : null,
    o.cost ? monthlyCost(o.cost) : null,
    h("details", {class: "why", open: o === top},
      h("summary", {}, `Why ${o.score} points (base ${o.base}${o.rationale && o.rationale.length ? ` and ${o.rationale.length} rule${o.rationale.length > 1 ? "s" : ""}` : ""})`),
      rationale(o.rationale || []),
      (o.caveats || []).length ? h("div", {class: "caveats"}, h("h4", {}, "Caveats"), h("ul", {}, o.caveats.map(c => h("li", {}, c)))) : null),
    (o.versus_top || []).length ? h("details", {class: "why-not"},
      h("summary", {}, `Why not ${o.name || o.id}? (${(top.score - score).toFixed(1)} points behind)`),
      h("ul", {class: "rationale"}, o.versus_top.map(v => h("li", {},
        h("span", {class: `impact ${v.favours === o.id ? "up" : "down"}`},
          `${Math.abs(v.impact).toFixed(1)} to ${v.favours === top.id ? top.name || top.id : v.favours === o.id ? o.name || o.id : v.favours}`),
        " ", v.reason, " ", ruleTag(v.rule))))) : null);
}

function rationale(items) {
  if (!items.length) return h("p", {class: "muted"}, "No rule changed this option's base score.");
  return h("ul", {class: "rationale"}, items.map(r => h("li", {},
    h("span", {class: `impact ${r.impact >= 0 ? "up" : "down"}`}, signed(r.impact)), " ",
    r.reason, " ", ruleTag(r.rule), " ", policyTag(r), " ", sources(r.sources))));
}

function whatWouldChange(changes) {
  if (!Array.isArray(changes) || !changes.length) return null;
  return h("details", {class: "changes"}, h("summary", {}, "What would change the answer"),
    h("ul", {}, changes.map(c => h("li", {}, typeof c === "string" ? c : c.reason || c.message || JSON.stringify(c)))));
}

const ruleTag = id => (id ? h("code", {class: "rule"}, id) : null);
// Marks what the organisation policy produced (docs/policy.md): `origin: "policy"`.
export const policyTag = r => (r && r.origin === "policy" ?
  h("span", {class: "badge policy", title: "Set by the organisation policy"}, "policy") : null);

function securityGroupRules(rules) {
  const text = () => JSON.stringify(rules, null, 2);
  return h("section", {class: "card", "aria-labelledby": "sg-title"},
    h("header", {class: "card-head"}, h("h3", {id: "sg-title"}, "Security-group rules to create"),
      rules.length ? copyButton("Copy rules", text) : null),
    rules.length ? stackedTable(["Group", "Direction", "Protocol", "Ports", "Source or destination", "Description"],
      rules.map(r => [r.group, r.direction, r.protocol, r.ports, r.source || r.destination, r.description]),
      "Security-group rules")
      : h("p", {class: "muted"}, "No rule needed for this connectivity."));
}

// A table that becomes one labelled block per row on a phone (see .stack in portal.css). Its wrapper
// scrolls sideways when the table is wider than the screen, so it is a labelled region that takes focus
// (keyboard users scroll it with the arrow keys).
export function stackedTable(headings, rows, label = headings.join(", ")) {
  return h("div", {class: "table-wrap", role: "region", tabindex: "0", "aria-label": label}, h("table", {class: "stack"},
    h("thead", {}, h("tr", {}, headings.map(t => h("th", {scope: "col"}, t)))),
    h("tbody", {}, rows.map(cells => h("tr", {}, cells.map((v, i) => h("td", {"data-label": headings[i]}, v ?? "")))))));
}

export function findingsBlock(findings, title, level = "h3") {
  const bySeverity = SEVERITIES.map(s => [s, findings.filter(f => f.severity === s)])
    .concat([["other", findings.filter(f => !SEVERITIES.includes(f.severity))]])
    .filter(([, list]) => list.length);
  return h("section", {class: "card findings", "aria-label": title},
    h("header", {class: "card-head"}, h(level, {}, title)),
    bySeverity.map(([severity, list]) => h("div", {class: "severity-group"},
      h("h4", {}, h("span", {class: `badge sev-${severity}`}, humanize(severity)), ` ${list.length}`),
      h("ul", {}, list.map(f => h("li", {class: "finding", "data-finding": f.id},
        h("p", {}, h("strong", {}, f.message), " ", h("code", {}, f.id), " ", policyTag(f), f.resource ? h("span", {class: "muted"}, ` on ${f.resource}`) : null),
        f.remediation ? h("p", {}, h("span", {class: "label"}, "Fix: "), f.remediation) : null,
        f.acknowledged ? h("p", {class: "ack"}, `Accepted risk: ${f.acknowledged.reason}`,
          f.acknowledged.expires ? ` (until ${f.acknowledged.expires})` : "", f.acknowledged.expired ? " \u2014 expired, counts again" : "") : null,
        f.suppressed ? h("p", {class: "ack"}, `Suppressed by the organisation policy: ${f.suppressed.reason}`,
          f.suppressed.expires ? ` (until ${f.suppressed.expires})` : " (permanent)") : null,
        sources(f.sources)))))));
}

function assumptions(list) {
  if (!list.length) return null;
  return h("details", {class: "card assumptions"},
    h("summary", {}, `Assumptions and defaults applied (${list.length})`),
    stackedTable(["Field", "Value", "Why"], list.map(a => [h("code", {}, a.field),
      a.value === null || a.value === undefined ? "\u2014" : JSON.stringify(a.value), [a.reason, " ", policyTag(a)]]),
    "Assumptions and defaults applied"));
}

export function skeleton(lines = 3) {
  return h("div", {class: "loading", "aria-hidden": "true"},
    Array.from({length: lines}, () => h("div", {class: "skeleton card-sized"})));
}

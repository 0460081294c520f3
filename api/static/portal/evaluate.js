// The evaluate view: a proposal (YAML or JSON) in, the evaluation (proposal.md) out, plus a markdown report.
import {h, humanize, sources} from "./dom.js";
import {findingsBlock, stackedTable, SEVERITIES} from "./results.js";

// JSON when the text is a JSON object, YAML otherwise (the API parses either safely).
export function contentTypeOf(text) {
  const t = text.trim();
  if (t.startsWith("{")) {
    try { JSON.parse(t); return "application/json"; } catch { /* YAML flow mappings start with { too */ }
  }
  return "application/yaml";
}

let reportUrl = null; // the previous report's object URL, released when a new one is made

export function renderEvaluation(ev) {
  if (reportUrl) URL.revokeObjectURL(reportUrl);
  reportUrl = URL.createObjectURL(new Blob([markdownReport(ev)], {type: "text/markdown"}));
  const findings = ev.findings || [];
  const counted = findings.filter(f => !f.acknowledged || f.acknowledged.expired);
  const fileName = `${(ev.name || "evaluation").replace(/[^A-Za-z0-9._-]+/g, "-")}-evaluation.md`;
  return [
    h("div", {class: `card verdict-card outcome-${ev.verdict}`},
      h("h2", {}, `${ev.name ? `${ev.name}: ` : ""}`, h("span", {class: `badge verdict-${ev.verdict}`, "data-verdict": ev.verdict}, humanize(ev.verdict || "unknown"))),
      h("p", {}, ev.score !== undefined ? `Score ${ev.score} of 100. ` : "",
        `${counted.length} finding${counted.length === 1 ? "" : "s"} count toward the verdict`,
        counted.length ? ` (${SEVERITIES.map(s => [s, counted.filter(f => f.severity === s).length]).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(", ")}).` : "."),
      h("a", {class: "button secondary", href: reportUrl, download: fileName}, "Download the report (Markdown)")),
    findings.length ? findingsBlock(findings, "Findings", "h3") : h("p", {class: "card muted"}, "No findings."),
    (ev.flows || []).length ? flowsBlock(ev.flows) : null,
    (ev.choices || []).length ? choicesBlock(ev.choices) : null,
  ];
}

function flowsBlock(flows) {
  return h("section", {class: "card", "aria-labelledby": "flows-title"},
    h("header", {class: "card-head"}, h("h3", {id: "flows-title"}, "Flows")),
    h("ul", {class: "flows"}, flows.map(f => {
      const path = f.path || [];
      const blocked = !f.reachable;
      return h("li", {class: `flow ${blocked ? "blocked" : "passes"}`},
        h("p", {}, h("strong", {}, `${f.from} \u2192 ${f.to}`), f.port !== undefined ? ` port ${f.port} ` : " ",
          h("span", {class: `badge ${blocked ? "sev-high" : "ok"}`}, blocked ? "Blocked" : "Reachable")),
        h("ol", {class: "path", "aria-label": `Path from ${f.from} to ${f.to}`},
          path.map(hop => h("li", {class: "hop"}, hop)),
          // the path lists the hops that passed; the hop that blocks comes after them
          blocked ? h("li", {class: "hop blocking", "aria-current": "step"},
            h("span", {class: "visually-hidden"}, "Blocked here: "), `\u2715 ${f.blocked_by || "blocked"}`) : null));
    })));
}

function choicesBlock(choices) {
  return h("section", {class: "card", "aria-labelledby": "choices-title"},
    h("header", {class: "card-head"}, h("h3", {id: "choices-title"}, "Choice review")),
    stackedTable(["Domain", "Chosen", "Recommended", "Status", "Why"], choices.map(c => [
      humanize(c.domain), h("code", {}, listText(c.chosen)), h("code", {}, listText(c.recommended)),
      h("span", {class: `badge status-${c.status}`}, humanize(c.status || "")),
      (c.reasons || []).map(r => h("p", {}, r.reason, " ", sources(r.sources)))])));
}

const listText = v => (Array.isArray(v) ? v.join(", ") : v ?? "\u2014");

export function markdownReport(ev) {
  const lines = [`# Evaluation of ${ev.name || "the proposal"}`, "",
    `- Verdict: **${ev.verdict}**`, ev.score !== undefined ? `- Score: ${ev.score} / 100` : null,
    ev.knowledge_base ? `- Knowledge base: ${ev.knowledge_base.version} (${ev.knowledge_base.digest})` : null,
    ev.knowledge_base && ev.knowledge_base.policy ? `- Organisation policy: ${ev.knowledge_base.policy.name} ${ev.knowledge_base.policy.version} (${ev.knowledge_base.policy.digest})` : null, ""];
  const findings = ev.findings || [];
  lines.push("## Findings", "");
  if (!findings.length) lines.push("None.", "");
  for (const severity of [...SEVERITIES, "other"]) {
    const list = findings.filter(f => (SEVERITIES.includes(f.severity) ? f.severity : "other") === severity);
    if (!list.length) continue;
    lines.push(`### ${humanize(severity)}`, "");
    for (const f of list) {
      lines.push(`- **${f.message}** (\`${f.id}\`${f.resource ? ` on \`${f.resource}\`` : ""})`);
      if (f.remediation) lines.push(`  - Fix: ${f.remediation}`);
      if (f.acknowledged) lines.push(`  - Accepted risk: ${f.acknowledged.reason}${f.acknowledged.expires ? ` (until ${f.acknowledged.expires})` : ""}`);
      for (const url of f.sources || []) lines.push(`  - Source: <${url}>`);
    }
    lines.push("");
  }
  if ((ev.flows || []).length) {
    lines.push("## Flows", "", "| From | To | Port | Reachable | Path | Blocked by |", "| --- | --- | --- | --- | --- | --- |");
    for (const f of ev.flows) {
      lines.push(`| ${cell(f.from)} | ${cell(f.to)} | ${cell(f.port)} | ${f.reachable ? "yes" : "no"} | ${cell((f.path || []).join(" \u2192 "))} | ${cell(f.blocked_by)} |`);
    }
    lines.push("");
  }
  if ((ev.choices || []).length) {
    lines.push("## Choices", "", "| Domain | Chosen | Recommended | Status | Reasons |", "| --- | --- | --- | --- | --- |");
    for (const c of ev.choices) {
      lines.push(`| ${cell(c.domain)} | ${cell(listText(c.chosen))} | ${cell(listText(c.recommended))} | ${cell(c.status)} | ${cell((c.reasons || []).map(r => r.reason).join(" "))} |`);
    }
    lines.push("");
  }
  return lines.filter(l => l !== null).join("\n");
}

const cell = v => String(v ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

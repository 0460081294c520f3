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

// ev.diagram.svg: the topology drawn by the server (asked with ?diagram=svg), or ev.diagram.drawing_error.
// onExpand(vpcId): draw that folded VPC in full (a new evaluation request); optional.
export function renderEvaluation(ev, onExpand = null) {
  if (reportUrl) URL.revokeObjectURL(reportUrl);
  reportUrl = URL.createObjectURL(new Blob([markdownReport(ev, ev.diagram && ev.diagram.svg)], {type: "text/markdown"}));
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
    ev.diagram && ev.diagram.nodes.length ? diagramBlock(ev.diagram, onExpand) : null,
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

export function markdownReport(ev, svg) {
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
  if (svg) {
    // the drawing embedded as an image (UTF-8 -> base64), so the report stands alone
    const data = btoa(Array.from(new TextEncoder().encode(svg), b => String.fromCharCode(b)).join(""));
    lines.push("## Topology", "", "Green arrows pass; a red arrow ends in a bar at the hop that blocks it.", "",
      `![Topology of ${ev.name || "the proposal"}](data:image/svg+xml;base64,${data})`, "");
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

// -- The topology diagram: the server's SVG drawing (Graphviz) with zoom and pan, and the same diagram as
// text (every node and flow), for keyboards and screen readers. (Kept in this module: one script fewer for
// the page to fetch.)

const SVG_TYPE = "image/svg+xml";
const KINDS = {vpc: "VPC", transit_gateway: "transit gateway", vpn: "VPN or Direct Connect", on_premises: "on-premises network"};

// The section shown above the findings: the drawing (when the server could draw it) and the text version.
export function diagramBlock(diagram, onExpand = null) {
  const flows = diagram.flows || [];
  const blocked = flows.filter(f => !f.reachable).length;
  return h("section", {class: "card diagram", "aria-labelledby": "diagram-title", "data-diagram": ""},
    h("header", {class: "card-head"}, h("h3", {id: "diagram-title"}, "Topology")),
    h("p", {class: "meta"}, `${diagram.nodes.length} elements, ${flows.length} flow${flows.length === 1 ? "" : "s"}`,
      flows.length ? ` (${blocked} blocked)` : "", ". Green arrows pass; a red arrow ends in a bar at the hop that blocks it. Hover an element for details."),
    diagram.svg ? viewer(diagram.svg, onExpand) : h("p", {class: "muted"}, `The drawing is not available: ${diagram.drawing_error || "no drawing"}. The diagram is listed as text below.`),
    textVersion(diagram));
}

// The SVG in a viewport that zooms (buttons, wheel, + and - keys) and pans (drag, arrow keys); 0 fits it.
function viewer(svgText, onExpand) {
  const doc = new DOMParser().parseFromString(svgText, SVG_TYPE);
  const svg = document.importNode(doc.documentElement, true);
  if (svg.nodeName.toLowerCase() !== "svg") return h("p", {class: "muted"}, "The drawing could not be read.");
  const full = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[ ,]+/).map(Number);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  let box = [...full];
  const show = () => svg.setAttribute("viewBox", box.map(n => n.toFixed(1)).join(" "));
  const zoom = (factor, cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2) => {
    const w = Math.min(Math.max(box[2] * factor, full[2] / 200), full[2] * 4);
    const k = w / box[2];
    box = [cx - (cx - box[0]) * k, cy - (cy - box[1]) * k, box[2] * k, box[3] * k];
    show();
  };
  const pan = (dx, dy) => { box = [box[0] + dx, box[1] + dy, box[2], box[3]]; show(); };
  const fit = () => { box = [...full]; show(); };
  const port = h("div", {class: "diagram-viewport", tabindex: "0", role: "group",
    "aria-label": "Topology drawing: arrow keys pan, + and - zoom, 0 fits. The same diagram is listed as text below."}, svg);
  port.addEventListener("keydown", event => {
    const step = {ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1]}[event.key];
    if (step) pan(step[0] * box[2], step[1] * box[3]);
    else if (event.key === "+" || event.key === "=") zoom(0.8);
    else if (event.key === "-") zoom(1.25);
    else if (event.key === "0") fit();
    else return;
    event.preventDefault();
  });
  port.addEventListener("wheel", event => {
    event.preventDefault();
    const rect = port.getBoundingClientRect();
    const scale = Math.max(box[2] / rect.width, box[3] / rect.height);
    const cx = box[0] + box[2] / 2 + (event.clientX - rect.left - rect.width / 2) * scale;
    const cy = box[1] + box[3] / 2 + (event.clientY - rect.top - rect.height / 2) * scale;
    zoom(event.deltaY < 0 ? 0.85 : 1 / 0.85, cx, cy);
  }, {passive: false});
  let drag = null;
  port.addEventListener("pointerdown", event => {
    drag = {x: event.clientX, y: event.clientY};
    port.setPointerCapture(event.pointerId);
  });
  port.addEventListener("pointermove", event => {
    if (!drag) return;
    const rect = port.getBoundingClientRect();
    const scale = Math.max(box[2] / rect.width, box[3] / rect.height);
    pan((drag.x - event.clientX) * scale, (drag.y - event.clientY) * scale);
    drag = {x: event.clientX, y: event.clientY};
  });
  port.addEventListener("pointerup", () => { drag = null; });
  show();
  // a large proposal's VPCs are folded (class "folded"): a click on one, or the list below, draws it in full
  const folded = [...svg.querySelectorAll("g.cluster.folded")].map(g => g.id.replace(/^cluster-/, ""));
  if (onExpand) {
    for (const g of svg.querySelectorAll("g.cluster.folded")) {
      g.addEventListener("dblclick", () => onExpand(g.id.replace(/^cluster-/, "")));
    }
  }
  const choice = folded.length && onExpand ? h("select", {id: "expand-vpc", "aria-label": "Folded VPC to draw in full"},
    folded.map(id => h("option", {value: id}, id))) : null;
  return [
    choice ? h("p", {class: "meta"}, `Subnets are folded into their VPCs (${folded.length} VPCs). Double-click a VPC, or pick one here, to draw it in full: `,
      choice, " ", h("button", {type: "button", class: "secondary", onclick: () => onExpand(choice.value)}, "Draw in full")) : null,
    h("div", {class: "diagram-tools"},
      h("button", {type: "button", class: "secondary", onclick: () => zoom(0.8)}, "Zoom in"),
      h("button", {type: "button", class: "secondary", onclick: () => zoom(1.25)}, "Zoom out"),
      h("button", {type: "button", class: "secondary", onclick: fit}, "Fit")),
    port,
  ];
}

// Every node (nested as drawn: VPC > subnet > resource) and every flow with where it stops, as lists.
function textVersion(diagram) {
  const children = new Map();
  for (const n of diagram.nodes) {
    const key = n.parent ?? "";
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(n);
  }
  const where = n => (n.origin ? ` (declared at ${[n.origin.file, n.origin.line].filter(Boolean).join(":")})` : "");
  const tree = parent => {
    const list = children.get(parent) || [];
    return list.length ? h("ul", {}, list.map(n => h("li", {"data-node": n.id},
      h("code", {}, n.id), ` ${KINDS[n.kind] || String(n.kind).replace(/_/g, " ")}`, n.kind === "subnet" ? (n.public ? ", public" : ", private") : "",
      n.cidr ? ` ${n.cidr}` : "", where(n), tree(n.id)))) : null;
  };
  const links = diagram.links || [];
  return h("details", {class: "diagram-text"},
    h("summary", {}, "The diagram as text"),
    h("h4", {}, "Elements"), tree(""),
    links.length ? [h("h4", {}, "Links"), h("ul", {}, links.map(l =>
      h("li", {}, `${String(l.kind).replace(/_/g, " ")} `, h("code", {}, l.id), `: ${l.from} \u2013 ${l.to}`, l.routes === false ? " (no routes)" : "")))] : null,
    (diagram.flows || []).length ? [h("h4", {}, "Flows"), h("ol", {class: "diagram-flows"}, diagram.flows.map(f => {
      const head = `${f.from} \u2192 ${f.to} ${f.protocol || "tcp"} ${f.port}`;
      if (f.reachable) return h("li", {class: "passes"}, `${head}: passes through ${f.hops.join(" \u2192 ")}`);
      const at = f.blocked_at;
      return h("li", {class: "blocked"}, `${head}: blocked at `, h("strong", {}, f.hops[at]),
        f.hop_nodes[at] ? [" (", h("code", {}, f.hop_nodes[at]), ")"] : "", `: ${f.reason}`,
        at > 0 ? `. Passed: ${f.hops.slice(0, at).join(" \u2192 ")}.` : ".");
    }))] : null);
}

// -- The proposal's text box with line numbers: a gutter beside it (aria-hidden: screen readers hear the
// errors' "Line N:" instead), scrolled with it, and one line marked, an error's, until the text changes.
export function lineEditor(textarea, gutter, band) {
  let count = 0;
  let marked = 0;
  const metric = name => parseFloat(getComputedStyle(textarea)[name]) || 0;
  const place = () => {
    gutter.style.height = `${textarea.offsetHeight}px`;  // the text box's height, whatever the numbers' length
    gutter.scrollTop = textarea.scrollTop;
    const height = metric("lineHeight");
    const top = metric("paddingTop") + (marked - 1) * height - textarea.scrollTop;
    band.hidden = !marked || top < 0 || top + height > textarea.clientHeight;
    band.style.top = `${textarea.offsetTop + top}px`;
    band.style.height = `${height}px`;
  };
  const refresh = () => {
    const lines = (textarea.value.match(/\n/g) || []).length + 1;
    if (lines !== count) {
      count = lines;  // two lines more than the text, so the gutter scrolls as far as the text box
      gutter.textContent = `${Array.from({length: lines}, (_, i) => i + 1).join("\n")}\n\n\n`;
    }
    place();
  };
  textarea.addEventListener("input", () => { marked = 0; refresh(); });
  textarea.addEventListener("scroll", place);
  new ResizeObserver(place).observe(textarea);
  refresh();
  // Mark a line and scroll the text box to it when it is out of view.
  const mark = line => {
    marked = line;
    const height = metric("lineHeight");
    const y = metric("paddingTop") + (line - 1) * height;
    if (y < textarea.scrollTop || y + height > textarea.scrollTop + textarea.clientHeight) {
      textarea.scrollTop = Math.max(0, y - textarea.clientHeight / 3);
    }
    refresh();
  };
  return {
    refresh,  // after the text is set by the page (which fires no input event)
    mark,
    clear() { marked = 0; place(); },
    // Focus the text box with the line selected, and mark it.
    go(line) {
      const lines = textarea.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((at, text) => at + text.length + 1, 0);
      textarea.focus();
      textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
      textarea.scrollLeft = 0;
      mark(line);
    },
  };
}

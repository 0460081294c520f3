// The questionnaire, generated from the profile's JSON Schema (GET /v1/schemas/profile) at run time:
// every object property is a section (switched on or off), every other property a field.
import {h, humanize} from "./dom.js";

const SMALL_RANGE = 10; // integers with at most this many steps become a select

// Fields that apply only while another answer has one of some values: hidden, and not sent, otherwise.
const SHOWN_WHEN = {"network.target.engine": ["network.target.type", ["rds"]]};

// The API's own messages (marshmallow's), so a problem reads the same whether the page or the API finds it.
const MISSING = "Missing data for required field.";
const NOT_INTEGER = "Not a valid integer.";

// The bounds of a number in the schema (the same the API checks), as a message when the value breaks them.
function outOfBounds(n, spec, kind) {
  if (kind === "integer" && !Number.isInteger(n)) return NOT_INTEGER;
  const low = spec.minimum ?? spec.exclusiveMinimum;
  const high = spec.maximum ?? spec.exclusiveMaximum;
  const below = spec.minimum !== undefined ? n < spec.minimum : spec.exclusiveMinimum !== undefined && n <= spec.exclusiveMinimum;
  const above = spec.maximum !== undefined ? n > spec.maximum : spec.exclusiveMaximum !== undefined && n >= spec.exclusiveMaximum;
  if (!below && !above) return null;
  const lowText = low === undefined ? null : `greater than ${spec.minimum !== undefined ? "or equal to " : ""}${low}`;
  const highText = high === undefined ? null : `less than ${spec.maximum !== undefined ? "or equal to " : ""}${high}`;
  return `Must be ${[lowText, highText].filter(Boolean).join(" and ")}.`;
}

export function buildQuestionnaire(schema, container) {
  const fields = new Map();    // path -> field {path, spec, control, box, read, write, reset}
  const sections = new Map();  // path -> {box, toggle (null when always on), body}
  let extras = {};             // given profile entries the schema does not describe: sent as they are

  const resolve = node => resolveRef(schema, node);
  const root = resolve(schema);
  const general = [];
  const blocks = [];
  for (const [name, raw] of Object.entries(root.properties || {})) {
    const spec = resolve(raw);
    if (kindOf(spec) === "object") blocks.push(section(name, spec, true));
    else general.push(field(name, spec, (root.required || []).includes(name)));
  }
  container.replaceChildren(
    ...(general.length ? [h("fieldset", {class: "section general"}, h("legend", {}, "About"), general)] : []),
    ...blocks);
  container.removeAttribute("aria-busy");

  function section(path, spec, toggleable) {
    const title = spec.title || humanize(path.split(".").pop());
    const id = domId(path);
    const body = h("div", {class: "section-body", id: `${id}-body`});
    for (const [name, raw] of Object.entries(spec.properties || {})) {
      const sub = resolve(raw);
      const subPath = `${path}.${name}`;
      const required = (spec.required || []).includes(name);
      body.append(kindOf(sub) === "object" ? section(subPath, sub, !required) : field(subPath, sub, required));
    }
    const toggle = toggleable
      ? h("input", {type: "checkbox", id: `${id}-on`, class: "toggle", "aria-controls": `${id}-body`,
          onchange: () => setOn(path, toggle.checked)})
      : null;
    const legend = h("legend", {}, toggle ? h("label", {for: `${id}-on`, class: "switch"}, toggle, h("span", {}, title)) : title);
    const box = h("fieldset", {class: toggleable ? "section" : "subsection", "data-path": path, id},
      legend,
      spec.description ? h("p", {class: "help", id: `${id}-help`}, spec.description) : null,
      h("div", {class: "field-error", id: `${id}-error`}),
      body);
    sections.set(path, {title, box, toggle, body, requiredFree: !(spec.required || []).length});
    return box;
  }

  function field(path, spec, required) {
    const id = domId(path);
    const kind = kindOf(spec);
    const label = spec.title || humanize(path.split(".").pop());
    const described = [spec.description ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
    const common = {id, name: path, "aria-describedby": described, required: required || null};
    const touch = () => { control.dataset.touched = "1"; };
    let control, read, write;
    const def = spec.default;
    if (kind === "boolean") {
      control = h("input", {type: "checkbox", ...common, onchange: touch});
      read = () => (control.dataset.touched || control.checked !== !!def ? control.checked : undefined);
      write = v => { control.checked = v === undefined ? !!def : !!v; };
    } else if (kind === "array") {
      const items = resolve(spec.items || {});
      const values = items.enum || [];
      const boxes = values.map(v => h("input", {type: "checkbox", value: v, id: `${id}-${v}`, onchange: touch}));
      control = h("fieldset", {class: "checks", id, "aria-describedby": described},
        h("legend", {}, label, required ? h("span", {class: "req"}, " (required)") : null),
        boxes.map((b, i) => h("label", {for: b.id, class: "check"}, b, option(values[i]),
          (def || []).includes(values[i]) ? h("span", {class: "req"}, " (default)") : null)));
      control.focus = () => boxes[0] && boxes[0].focus();
      const checked = () => boxes.filter(b => b.checked).map(b => b.value);
      read = () => (control.dataset.touched || JSON.stringify(checked()) !== JSON.stringify(def || []) ? checked() : undefined);
      write = v => { const set = new Set(v === undefined ? def || [] : v); boxes.forEach(b => { b.checked = set.has(b.value); }); };
      if (!values.length) { // a free list: one value per line
        const area = h("textarea", {id: `${id}-text`, rows: 3, oninput: touch});
        control.append(area);
        read = () => (area.value.trim() ? area.value.split("\n").map(s => s.trim()).filter(Boolean) : undefined);
        write = v => { area.value = (v || def || []).join("\n"); };
      }
    } else if (spec.enum || (kind === "integer" && smallRange(spec))) {
      const values = spec.enum || range(spec.minimum, spec.maximum);
      const blank = def === undefined ? h("option", {value: ""}, required ? "Choose\u2026" : "Not set") : null;
      control = h("select", {...common, onchange: touch}, blank,
        values.map(v => h("option", {value: String(v)}, option(v), v === def ? " (default)" : "")));
      read = () => {
        if (control.value === "" || (!control.dataset.touched && control.value === String(def))) return undefined;
        return kind === "integer" || kind === "number" ? Number(control.value) : control.value;
      };
      write = v => { control.value = v === undefined ? (def === undefined ? "" : String(def)) : String(v); };
    } else if (kind === "integer" || kind === "number") {
      control = h("input", {type: "number", inputmode: kind === "integer" ? "numeric" : "decimal", ...common,
        min: spec.minimum ?? spec.exclusiveMinimum, max: spec.maximum ?? spec.exclusiveMaximum,
        step: kind === "integer" ? "1" : "any", placeholder: def === undefined ? "Not set" : null, oninput: touch});
      read = () => {
        if (control.validity.badInput) return {invalid: "Enter a number."};
        if (control.value === "") return undefined;
        const n = Number(control.value);
        const problem = outOfBounds(n, spec, kind);
        if (problem) return {invalid: problem};
        return !control.dataset.touched && n === def ? undefined : n;
      };
      write = v => { control.value = v === undefined ? (def === undefined ? "" : String(def)) : String(v); };
    } else {
      control = h("input", {type: "text", ...common, maxlength: spec.maxLength, autocomplete: "off",
        placeholder: def === undefined ? "Not set" : String(def), oninput: touch});
      read = () => (control.value.trim() === "" ? undefined : control.value.trim());
      write = v => { control.value = v === undefined ? "" : String(v); };
    }
    const isGroup = kind === "array";
    // a default shown in the control itself (number, checkbox) is marked next to the label; a drop-down
    // marks its default option instead
    const marked = def !== undefined && !isGroup && control.tagName !== "SELECT"
      ? h("span", {class: "req"}, ` (default: ${kind === "boolean" ? (def ? "on" : "off") : def})`) : null;
    const box = h("div", {class: `field ${kind === "boolean" ? "boolean" : ""}`, "data-path": path},
      isGroup ? null : h("label", {for: id}, kind === "boolean" ? control : null, label,
        required ? h("span", {class: "req"}, " (required)") : null, marked),
      spec.description ? h("p", {class: "help", id: `${id}-help`}, spec.description) : null,
      isGroup || kind === "boolean" ? null : control,
      isGroup ? control : null,
      h("div", {class: "field-error", id: `${id}-error`}));
    const reset = () => { delete control.dataset.touched; write(undefined); };
    reset();
    fields.set(path, {path, label, control, box, read, write, reset, required});
    return box;
  }

  function setOn(path, on) {
    const s = sections.get(path);
    if (s.toggle) s.toggle.checked = on;
    s.body.hidden = !on;
    s.box.classList.toggle("off", !on);
    s.body.querySelectorAll("input, select, textarea").forEach(el => {
      // a nested optional section keeps its own switch state
      el.disabled = !on && !el.classList.contains("toggle");
    });
    if (on) {
      for (const [p, inner] of sections) {
        if (p.startsWith(`${path}.`) && inner.toggle) setOn(p, inner.toggle.checked);
      }
    }
  }

  function isOn(path) {
    for (let p = path; p; p = parent(p)) {
      const s = sections.get(p);
      if (s && s.toggle && !s.toggle.checked) return false;
    }
    return true;
  }

  const dependents = Object.entries(SHOWN_WHEN).filter(([path, [on]]) => fields.has(path) && fields.has(on));
  function showDependents() {
    for (const [path, [on, values]] of dependents) fields.get(path).box.hidden = !values.includes(fields.get(on).control.value);
  }
  for (const [, [on]] of dependents) fields.get(on).control.addEventListener("change", showDependents);

  // Sections with nothing to answer start switched on; others wait for the user.
  function reset() {
    extras = {};
    fields.forEach(f => f.reset());
    for (const [path, s] of sections) if (s.toggle) setOn(path, s.requiredFree && !path.includes("."));
    showDependents();
    clearErrors();
  }
  reset();

  return {
    // The profile the answers describe; {invalid} entries are returned in `problems` instead.
    read() {
      const profile = {};
      const problems = {};
      for (const [path, s] of sections) if (isOn(path)) setPath(profile, path, {});
      for (const f of fields.values()) {
        if (!isOn(parent(f.path)) || f.box.hidden) continue;
        const value = f.read();
        if (value && typeof value === "object" && "invalid" in value) problems[f.path] = [value.invalid];
        else if (value !== undefined) setPath(profile, f.path, value);
        else if (f.required) problems[f.path] = [MISSING];
      }
      return {profile: merge(profile, extras), problems};
    },
    fill(profile) {
      reset();
      const rest = structuredClone(profile || {});
      // children come before their parents in `sections`, so a parent switched on restores them
      for (const [path, s] of sections) if (s.toggle) setOn(path, getPath(profile, path) !== undefined);
      for (const f of fields.values()) {
        const value = getPath(profile, f.path);
        if (value === undefined) continue;
        f.write(value);
        f.control.dataset.touched = "1";
        deletePath(rest, f.path);
      }
      showDependents();
      for (const path of [...sections.keys()].reverse()) {
        const left = getPath(rest, path);
        if (left && typeof left === "object" && !Object.keys(left).length) deletePath(rest, path);
      }
      extras = rest;
    },
    reset,
    clearErrors,
    // errors: {"workload.vcpus": ["..."]}. Shown next to the field (or its nearest section); returns the
    // entries for the summary: [{path, messages, target element id or null}].
    showErrors(errors) {
      clearErrors();
      const shown = [];
      for (const [path, messages] of Object.entries(errors || {})) {
        const target = nearest(path);
        const list = Array.isArray(messages) ? messages : [String(messages)];
        if (target) {
          const box = target.box;
          box.classList.add("invalid");
          const slot = box.querySelector(":scope > .field-error");
          const prefix = target.path === path ? "" : `${path}: `;
          slot.append(...list.map(m => h("p", {}, prefix + m)));
          const control = target.control || target.toggle;
          if (control) control.setAttribute("aria-invalid", "true");
        }
        shown.push({path, messages: list, label: target && target.path === path ? target.label : null,
          target: target ? (target.control || target.box).id : null});
      }
      return shown;
    },
    fieldFor: path => (nearest(path) || {}).control || null,
  };

  function nearest(path) {
    for (let p = path; p; p = parent(p)) {
      if (fields.has(p)) return fields.get(p);
      if (sections.has(p)) {
        const s = sections.get(p);
        return {path: p, box: s.box, control: s.toggle, label: s.title};
      }
    }
    return null;
  }

  function clearErrors() {
    container.querySelectorAll(".field-error").forEach(el => el.replaceChildren());
    container.querySelectorAll(".invalid").forEach(el => el.classList.remove("invalid"));
    container.querySelectorAll("[aria-invalid]").forEach(el => el.removeAttribute("aria-invalid"));
  }
}

function resolveRef(root, node) {
  let seen = 0;
  while (node && node.$ref && seen++ < 32) {
    const target = node.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at && at[key.replace(/~1/g, "/").replace(/~0/g, "~")], root);
    const {$ref, ...own} = node;
    node = {...target, ...own};
  }
  if (node && Array.isArray(node.allOf)) {
    const {allOf, ...own} = node;
    return {...allOf.reduce((acc, part) => ({...acc, ...resolveRef(root, part)}), {}), ...own};
  }
  return node || {};
}

function kindOf(spec) {
  const type = Array.isArray(spec.type) ? spec.type.find(t => t !== "null") : spec.type;
  if (type) return type;
  if (spec.properties) return "object";
  if (spec.items) return "array";
  return "string";
}

const smallRange = s => Number.isInteger(s.minimum) && Number.isInteger(s.maximum) && s.maximum - s.minimum <= SMALL_RANGE;
const range = (a, b) => Array.from({length: b - a + 1}, (_, i) => a + i);
const option = v => String(v).replace(/_/g, " ");
const parent = path => path.split(".").slice(0, -1).join(".");
const domId = path => `f-${path.replace(/[^A-Za-z0-9_-]/g, "--")}`;

function getPath(obj, path) {
  return path.split(".").reduce((at, key) => (at && typeof at === "object" ? at[key] : undefined), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  let at = obj;
  for (const key of keys) at = at[key] && typeof at[key] === "object" ? at[key] : (at[key] = {});
  if (!(last in at) || typeof value !== "object" || Array.isArray(value)) at[last] = value;
}

function deletePath(obj, path) {
  const keys = path.split(".");
  const last = keys.pop();
  const at = getPath(obj, keys.join(".")) ?? (keys.length ? undefined : obj);
  if (at && typeof at === "object") delete at[last];
}

function merge(into, extra) {
  for (const [key, value] of Object.entries(extra)) {
    if (value && typeof value === "object" && !Array.isArray(value) && into[key] && typeof into[key] === "object") merge(into[key], value);
    else into[key] = value;
  }
  return into;
}

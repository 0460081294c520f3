"""An Architecture Decision Record (markdown) for one profile: context, decision per domain, alternatives
and why not, consequences, what would change the decision, and sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recommender.profile import Profile

TOP_REASONS = 3
ALTERNATIVES = 4  # ranked alternatives described; the rest are counted
EXCLUSIONS = 4
PRIORITY_WORDS = {0: "does not matter", 1: "matters little", 2: "matters somewhat", 3: "matters",
                  4: "matters a lot", 5: "matters above all"}  # fmt: skip


def render_adr(document: Mapping[str, Any], profile: Profile, titles: Mapping[str, str]) -> str:
    """The ADR of a recommendation document (with `what_would_change` when it was computed); titles: the
    domains' names (KnowledgeBase.domain_titles)."""
    sources = _Sources()
    name = document.get("name") or "the workload"
    kb = document["knowledge_base"]
    out = [
        f"# ADR: How to run {name} on AWS",
        "",
        "- Status: proposed",
        f"- Decided with: recommender knowledge base {kb['version']} (`{kb['digest']}`)"
        + (
            f" and organisation policy {kb['policy']['name']} {kb['policy']['version']} (`{kb['policy']['digest']}`)"
            if "policy" in kb
            else ""
        ),
        f"- Decisions: {_decision_list(document, titles)}",
        "",
        "## Context",
        "",
        *_context(document, profile),
    ]
    for domain_id, result in document["recommendations"].items():
        out += ["", *_domain_section(domain_id, titles[domain_id], result, document, sources)]
    if document.get("findings"):
        out += ["", "## Findings to address", ""]
        for finding in document["findings"]:
            refs = sources.cite(finding.get("sources", []))
            out.append(
                f"- **{finding['severity']}** `{finding['id']}`: {finding['message']} {finding['remediation']}{refs}"
            )
    out += ["", "## Sources", ""]
    out += [f"{n}. <{url}>" for n, url in enumerate(sources.urls, start=1)] or ["None cited."]
    return "\n".join(out) + "\n"


class _Sources:
    """Numbers each source URL once, in order of first citation."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def cite(self, urls: list[str]) -> str:
        numbers = []
        for url in urls:
            if url not in self.urls:
                self.urls.append(url)
            numbers.append(self.urls.index(url) + 1)
        return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""


def _decision_list(document: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    parts = []
    for domain_id, result in document["recommendations"].items():
        top = result["options"][0]["name"] if result["options"] else "no option fits"
        parts.append(f"{titles[domain_id]}: {top}")
    return "; ".join(parts) or "none (no section of the profile was answered)"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _context(document: Mapping[str, Any], profile: Profile) -> list[str]:
    defaulted = {a["field"] for a in document.get("assumptions", []) if a.get("reason") == "default"}
    priorities = profile.data["priorities"]
    ranked = sorted(priorities.items(), key=lambda kv: (-kv[1], kv[0]))
    said = [f"{p} {PRIORITY_WORDS[v]} ({v}/5)" for p, v in ranked if f"priorities.{p}" not in defaulted]
    lines = ["The team described the workload as follows.", ""]
    lines.append(
        "- Priorities: " + ("; ".join(said) if said else "none given, so every concern weighs the same (3/5)")
        + "."
    )  # fmt: skip
    for section, values in profile.data.items():
        if section in ("name", "priorities") or not isinstance(values, Mapping):
            continue
        given = _given(section, values, defaulted)
        if given:
            lines.append(f"- {section.capitalize()}: " + "; ".join(given) + ".")
    assumed = [a for a in document.get("assumptions", []) if a["field"] not in ("priorities",)]
    if assumed:
        lines += ["", "Where the profile was silent, the recommendation assumed:", ""]
        lines += [f"- `{a['field']}` = {_show(a['value'])} ({a['reason']})" for a in assumed]
    return lines


def _given(prefix: str, values: Mapping[str, Any], defaulted: set[str]) -> list[str]:
    given = []
    for key, value in values.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            given += _given(path, value, defaulted)
        elif path not in defaulted:
            given.append(f"{path.split('.', 1)[1].replace('_', ' ')} {_show(value)}")
    return given


def _domain_section(
    domain_id: str, title: str, result: Mapping[str, Any], document: Mapping[str, Any], sources: _Sources
) -> list[str]:
    out = [f"## Decision: {title}", ""]
    options, excluded = result["options"], result["excluded"]
    if not options:
        out.append("No option fits: every option is ruled out by a hard constraint (see below).")
    else:
        top = options[0]
        size = top.get("suggested_instance_type")
        sized = f", starting with {size['name']}" if size else ""
        out.append(
            f"We will use **{top['name']}**{sized} (score {top['score']:g} of 100, confidence {result['confidence']})."
        )
        if "conditional_on" in result:
            cond = result["conditional_on"]
            out.append(f"This applies only if {cond['domain']} is {cond['option']}: {cond['reason']}")
        if "plan" in result and len(result["plan"]["options"]) > 1:
            covers = "; ".join(f"{o}: {', '.join(c)}" for o, c in result["plan"]["covers"].items())
            out.append(f"No single option meets every requirement; combine {' + '.join(result['plan']['options'])} "
                       f"({covers}).")  # fmt: skip
        for unmet in result.get("unmet", []):
            out.append(f"Unmet: `{unmet['requirement']}` (wanted {unmet['wanted']}): {unmet['advice']}"
                       f"{sources.cite(unmet['sources'])}")  # fmt: skip
        reasons = top["rationale"][
            :TOP_REASONS
        ]  # the largest impacts, penalties included, signed as they are
        constraints = [(item, r) for item in excluded for r in item["reasons"]][:EXCLUSIONS]
        if reasons or constraints:
            out += ["", "Because:", ""]
            out += [
                f"- {r['reason']} (`{r['rule']}`, {r['impact']:+g}){sources.cite(r['sources'])}"
                for r in reasons
            ]
            out += [
                f"- {item['name']} is ruled out: {r['reason']} (`{r['rule']}`){sources.cite(r['sources'])}"
                for item, r in constraints
            ]
    if len(options) > 1 or excluded:
        out += ["", "### Alternatives considered", ""]
        top_id = options[0]["id"] if options else None
        for option in options[1 : 1 + ALTERNATIVES]:
            against = [v for v in option.get("versus_top", []) if v["favours"] == top_id][:2]
            why = "; ".join(
                f"{v['reason']} (`{v['rule']}`, {v['impact']:g} points in favour of {options[0]['name']})"
                for v in against
            )
            gap = options[0]["score"] - option["score"]
            out.append(
                f"- **{option['name']}** (score {option['score']:g}, {gap:.4g} behind)"
                + (f": {why}" if why else ": scored lower on the same rules.")
            )
        if len(options) > 1 + ALTERNATIVES:
            out.append(f"- {len(options) - 1 - ALTERNATIVES} more options scored lower still.")
        for item in excluded[:EXCLUSIONS]:
            why = "; ".join(
                f"{r['reason']} (`{r['rule']}`){sources.cite(r['sources'])}" for r in item["reasons"]
            )
            out.append(f"- **{item['name']}** was ruled out: {why}")
        if len(excluded) > EXCLUSIONS:
            out.append(f"- {len(excluded) - EXCLUSIONS} more options were ruled out by hard constraints.")
    out += _cost(options, result.get("plan"))
    out += _consequences(domain_id, result, document)
    out += ["", "### What would change this decision", ""]
    if "what_would_change" not in result:
        out.append("Not computed (ask for the recommendation with explanations).")
    elif not result["what_would_change"]:
        out.append("No single change to the profile (one priority, one answer or one size) would change it.")
    else:
        out += [f"- {point['summary']}" for point in result["what_would_change"]]
    return out


def _cost(options: list[Mapping[str, Any]], plan: Mapping[str, Any] | None = None) -> list[str]:
    """The recommendation's monthly estimate against the alternatives', and the combined plan's total."""
    priced = [o for o in options if o.get("cost") and o["cost"]["monthly_usd"] is not None]
    if not options or not options[0].get("cost"):
        return []
    top = options[0]
    if top["cost"]["monthly_usd"] is None:
        return ["", "### Cost", "", f"No estimate for {top['name']}: {top['cost']['basis']}"]
    base = top["cost"]["monthly_usd"]
    lines = ["", "### Cost", "", f"{top['name']} costs about {_usd(base)} a month ({top['cost']['basis']})."]
    for option in priced[1 : 1 + ALTERNATIVES]:
        value = option["cost"]["monthly_usd"]
        delta = (
            "the same" if value == base else f"{_usd(abs(value - base))} {'more' if value > base else 'less'}"
        )
        lines.append(f"- {option['name']}: {_usd(value)} a month ({delta}).")
    cheapest = min(priced, key=lambda o: o["cost"]["monthly_usd"])
    if cheapest is not top and cheapest not in priced[1 : 1 + ALTERNATIVES]:
        lines.append(
            f"- The cheapest ranked option is {cheapest['name']} at {_usd(cheapest['cost']['monthly_usd'])}."
        )
    total = (plan or {}).get("cost", {}).get("monthly_usd")
    if plan and len(plan["options"]) > 1 and total is not None:
        lines.append(
            f"- The combined plan ({' + '.join(plan['options'])}) costs about {_usd(total)} a month."
        )
    return lines


def _usd(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def _consequences(domain_id: str, result: Mapping[str, Any], document: Mapping[str, Any]) -> list[str]:
    if not result["options"]:
        return []
    top = result["options"][0]
    lines = [f"- {c}" for c in top.get("caveats", [])]
    if result["confidence"] != "high" and len(result["options"]) > 1:
        runner = result["options"][1]
        lines.append(
            f"- Confidence is {result['confidence']}: {runner['name']} is close behind, so revisit this "
            "decision if the priorities shift."
        )
    if domain_id == "connectivity" and document.get("security_group_rules"):
        lines.append("- Create these security-group rules (least privilege):")
        for rule in document["security_group_rules"]:
            peer = rule.get("source") or rule.get("destination")
            lines.append(
                f"  - {rule['group']} {rule['direction']} {rule['protocol']}/{rule['ports']} "
                f"{'from' if rule.get('source') else 'to'} `{peer}`: {rule['description']}"
            )
    return ["", "### Consequences and caveats", "", *lines] if lines else []

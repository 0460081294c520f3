"""Human renderings of a recommendation document: a terminal table and a markdown report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _size(option: dict[str, Any]) -> str:
    size = option.get("suggested_instance_type")
    return f" -> {size['name']} ({size['vcpus']} vCPU, {size['memory_gib']:g} GiB)" if size else ""


def monthly(option: dict[str, Any]) -> str:
    """The option's monthly estimate as a short text ("$1,545/mo"), or "n/a" when it has none."""
    value = (option.get("cost") or {}).get("monthly_usd")
    if value is None:
        return "n/a"
    return f"${value:,.0f}/mo" if value >= 100 else f"${value:,.2f}/mo"


def cost_basis(doc: dict[str, Any]) -> str | None:
    """The basis of the first estimate of the answer (they share prices, Region and date)."""
    for result in doc["recommendations"].values():
        for option in result["options"]:
            if option.get("cost") and option["cost"]["monthly_usd"] is not None:
                return str(option["cost"]["basis"]).split(";")[0]
    return None


def notes(result: dict[str, Any]) -> list[str]:
    """What qualifies a domain's answer: the decision it depends on, the combined plan, unmet requirements."""
    out = []
    if "conditional_on" in result:
        cond = result["conditional_on"]
        out.append(f"Only if {cond['domain']} is {cond['option']}: {cond['reason']}")
    if "plan" in result and len(result["plan"]["options"]) > 1:
        total = result["plan"].get("cost", {}).get("monthly_usd")
        out.append(
            f"Plan: {' + '.join(result['plan']['options'])}" + (f" (${total:,.2f}/mo)" if total else "")
        )
    out += [
        f"Unmet: {u['requirement']} (wanted {u['wanted']}): {u['advice']}" for u in result.get("unmet", [])
    ]
    return out


def render_table(doc: dict[str, Any], titles: Mapping[str, str], limit: int = 5) -> str:
    """titles: the domains' names (KnowledgeBase.domain_titles)."""
    lines = []
    head = doc.get("name") or "recommendation"
    policy = doc["knowledge_base"].get("policy")
    shaped = f", policy {policy['name']} {policy['version']}" if policy else ""
    lines.append(f"{head}  (knowledge base {doc['knowledge_base']['version']}{shaped})")
    for domain, result in doc["recommendations"].items():
        lines.append("")
        lines.append(f"{titles[domain]}  [confidence: {result['confidence']}]")
        lines += [f"  {note}" for note in notes(result)]
        lines.append(f"  {'rank':>4}  {'option':<22} {'score':>6}  {'monthly':>12}  top reason")
        for option in result["options"][:limit]:
            reason = option["rationale"][0]["reason"] if option["rationale"] else "(base score only)"
            lines.append(
                f"  {option['rank']:>4}  {option['id']:<22} {option['score']:>6.1f}  {monthly(option):>12}  "
                f"{reason}{_size(option)}"
            )
        if len(result["options"]) > limit:
            lines.append(f"        ... {len(result['options']) - limit} more ranked")
        for item in result["excluded"][:limit]:
            lines.append(f"     x  {item['id']:<22} {'':>6}  {'':>12}  {item['reasons'][0]['reason']}")
        if len(result["excluded"]) > limit:
            lines.append(f"        ... {len(result['excluded']) - limit} more excluded")
    basis = cost_basis(doc)
    if basis:
        lines += ["", f"Monthly estimates: {basis}; list prices, not a bill."]
    if doc.get("security_group_rules"):
        lines.append("")
        lines.append("Security-group rules to create")
        for rule in doc["security_group_rules"]:
            peer = rule.get("source") or rule.get("destination")
            lines.append(
                f"  {rule['group']:<7} {rule['direction']:<8} {rule['protocol']}/{rule['ports']:<6} {peer}  ({rule['description']})"
            )
    if doc.get("findings"):
        lines.append("")
        lines.append("Findings")
        for finding in doc["findings"]:
            lines.append(f"  [{finding['severity']}] {finding['id']}: {finding['message']}")
    return "\n".join(lines)


def render_markdown(doc: dict[str, Any], titles: Mapping[str, str], limit: int = 5) -> str:
    out = [f"# Recommendation: {doc.get('name') or 'workload'}", ""]
    kb = doc["knowledge_base"]
    out.append(f"Knowledge base {kb['version']} (`{kb['digest']}`).")
    if "policy" in kb:
        out.append(
            f"Organisation policy {kb['policy']['name']} {kb['policy']['version']} (`{kb['policy']['digest']}`)."
        )
    for domain, result in doc["recommendations"].items():
        out += ["", f"## {titles[domain]}", ""]
        out += [f"> {note}" for note in notes(result)] + ([""] if notes(result) else [])
        if result["options"]:
            top = result["options"][0]
            out.append(
                f"**Recommended: {top['name']}** (score {top['score']:g}, confidence {result['confidence']}){_size(top)}."
            )
        else:
            out.append("**No option fits**: every option is excluded by a hard constraint.")
        out += ["", "| rank | option | score | monthly | why |", "| --- | --- | --- | --- | --- |"]
        for option in result["options"][:limit]:
            why = (
                "; ".join(f"{r['reason']} ({r['impact']:+g})" for r in option["rationale"][:3])
                or "base score"
            )
            out.append(
                f"| {option['rank']} | {option['name']} | {option['score']:g} | {monthly(option)} | {why} |"
            )
        if result["excluded"]:
            out += ["", "Excluded:", ""]
            for item in result["excluded"][:limit]:
                out.append(f"- **{item['name']}**: {item['reasons'][0]['reason']}")
            if len(result["excluded"]) > limit:
                out.append(f"- ... and {len(result['excluded']) - limit} more")
    basis = cost_basis(doc)
    if basis:
        out += ["", f"Monthly estimates: {basis}; list prices, not a bill."]
    if doc.get("security_group_rules"):
        out += ["", "## Security-group rules", "", "| group | direction | protocol | ports | peer | description |",
                "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for r in doc["security_group_rules"]:
            peer = r.get("source") or r.get("destination")
            out.append(
                f"| {r['group']} | {r['direction']} | {r['protocol']} | {r['ports']} | `{peer}` | {r['description']} |"
            )
    if doc.get("findings"):
        out += ["", "## Findings", ""]
        out += [
            f"- **{f['severity']}** `{f['id']}`: {f['message']} {f['remediation']}" for f in doc["findings"]
        ]
    if doc.get("assumptions"):
        out += ["", "## Assumptions", ""]
        out += [f"- `{a['field']}` = `{a['value']}` ({a['reason']})" for a in doc["assumptions"]]
    return "\n".join(out) + "\n"

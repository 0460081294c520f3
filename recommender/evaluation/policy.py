"""What an organisation policy (recommender.policy) adds to an evaluation: `policy-violation` findings for
disallowed or missing required choices and for Regions outside `allowed`, the policy's own findings, and its
severity overrides and suppressions of built-in findings. Runs only when a policy is loaded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from recommender.evaluation.choices import CHOICE_DOMAINS, DOMAIN_SECTION
from recommender.evaluation.proposal import Location, Proposal, Resource
from recommender.knowledge import Finding, KnowledgeBase, Source
from recommender.policy import VIOLATION, Choice, Policy
from recommender.text import render

VIOLATION_SEVERITY = "high"
VIOLATION_TITLE = "Organisation policy violation"


def finding_ids(kb: KnowledgeBase) -> Iterable[str]:
    """The finding ids an acknowledgement may name: the knowledge base's, and the policy's when one is loaded."""
    if kb.policy is None:
        return kb.findings
    return {*kb.findings, VIOLATION, *(f.id for f in kb.policy.findings)}


def report_findings(kb: KnowledgeBase) -> Mapping[str, Finding]:
    """Every finding a report lists (SARIF rules, JUnit test cases): the knowledge base's, then, with a policy,
    `policy-violation` and the policy's own."""
    if kb.policy is None:
        return kb.findings
    cached: Mapping[str, Finding] | None = kb.cache.get("report_findings")
    if cached is not None:
        return cached
    policy: Policy = kb.policy
    origin = Source(policy.path, 0)
    links = tuple(sorted({c.link for c in policy.choices if c.link}))
    extra = {VIOLATION: Finding(VIOLATION, VIOLATION_SEVERITY, VIOLATION_TITLE, VIOLATION_TITLE,
                                "Follow the organisation policy.", links, {}, None, None, origin)}  # fmt: skip
    for f in policy.findings:
        extra[f.id] = Finding(f.id, f.severity, f.title, f.message, f.remediation, (f.link,) if f.link else (), {},
                              None, f.resource, origin)  # fmt: skip
    kb.cache["report_findings"] = {**kb.findings, **extra}
    return kb.cache["report_findings"]


def _violation(
    policy: Policy, resource: str, message: str, remediation: str, link: str | None, at: Location | None,
    rule: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    finding: dict[str, Any] = {
        "id": VIOLATION,
        "severity": VIOLATION_SEVERITY,
        "title": VIOLATION_TITLE,
        "resource": resource,
        "message": f"{message} ({policy.label()})",
        "remediation": remediation,
        "sources": [link] if link else [],
        "origin": "policy",
    }
    if rule:
        finding["rule"] = rule
    if at is not None:
        finding["location"] = at.as_dict()
    return finding


def policy_findings(proposal: Proposal, kb: KnowledgeBase, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The findings the policy raises for this proposal (`facts`: its profile's, empty without one)."""
    policy: Policy = kb.policy
    return [*_choice_findings(proposal, policy, facts), *_region_findings(proposal, policy),
            *_custom_findings(proposal, policy)]  # fmt: skip


def _chosen(proposal: Proposal) -> dict[str, tuple[str, list[str]]]:
    """domain -> (the choice key, the options chosen)."""
    chosen: dict[str, tuple[str, list[str]]] = {}
    for key, domain in CHOICE_DOMAINS.items():
        value = proposal.choices.get(key)
        if value is None or domain in chosen:
            continue
        values = list(value) if key == "backup" else [str(value).split(".")[0]]
        chosen[domain] = (key, values)
    return chosen


def _choice_findings(
    proposal: Proposal, policy: Policy, facts: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    chosen = _chosen(proposal)
    sections = proposal.profile.sections if proposal.profile is not None else frozenset()
    for choice in policy.choices:
        key, values = chosen.get(choice.domain, (CHOICE_DOMAINS_BY_DOMAIN[choice.domain], []))
        at = proposal.choice_lines.get(key)
        if choice.kind == "disallowed" and choice.option in values:
            resource = f"choices.{key}" + (f".{choice.option}" if key == "backup" else "")
            yield _violation(policy, resource, f"{choice.option} is disallowed: {choice.reason}",
                             f"Choose another {choice.domain.replace('_', ' ')} than {choice.option}.", choice.link,
                             at, choice.rule)  # fmt: skip
        elif choice.kind == "required" and choice.option not in values and _applies(choice, facts):
            if not values and DOMAIN_SECTION[choice.domain] not in sections:
                continue  # the proposal says nothing about this domain
            yield _violation(policy, f"choices.{key}", f"{choice.option} is required: {choice.reason}",
                             f"Add {choice.option} to choices.{key}.", choice.link, at, choice.rule)  # fmt: skip


CHOICE_DOMAINS_BY_DOMAIN = {domain: key for key, domain in reversed(CHOICE_DOMAINS.items())}


def _applies(choice: Choice, facts: Mapping[str, Any]) -> bool:
    return choice.condition(facts) is True


def _region_findings(proposal: Proposal, policy: Policy) -> Iterator[dict[str, Any]]:
    if policy.regions is None:
        return
    allowed = ", ".join(policy.regions)
    for vpc in proposal.topology.vpcs.values():
        if vpc.region is not None and vpc.region not in policy.regions:
            yield _violation(policy, vpc.id, f"VPC {vpc.id} is in {vpc.region}, a Region not allowed",
                             f"Run it in one of {allowed}.", None, vpc.at)  # fmt: skip
    profile = proposal.profile
    if profile is not None and not any(a["field"] == "region" for a in profile.assumptions):
        region = profile.facts["region"]
        if region not in policy.regions:
            yield _violation(policy, "profile.region", f"The profile's Region {region} is not allowed",
                             f"Run it in one of {allowed}.", None, None)  # fmt: skip


def resource_facts(resource: Resource) -> dict[str, Any]:
    """The fields of a proposal resource a policy finding's condition may read (None: not given)."""
    facts = {
        "id": resource.id, "type": resource.type, "subnet": resource.subnet,
        "security_groups": resource.security_groups, "cidr": str(resource.cidr) if resource.cidr else None,
        "engine": resource.engine, "port": resource.port, "publicly_accessible": resource.publicly_accessible,
        "stateful": resource.stateful,
    }  # fmt: skip
    return {k: v for k, v in facts.items() if v is not None}


def _custom_findings(proposal: Proposal, policy: Policy) -> Iterator[dict[str, Any]]:
    for finding in policy.findings:
        for resource in proposal.topology.resources.values():
            if finding.resource is not None and resource.type != finding.resource:
                continue
            facts = resource_facts(resource)
            if finding.condition(facts) is not True:
                continue
            values = {**facts, "resource": resource.id}
            yield {
                "id": finding.id,
                "severity": finding.severity,
                "title": finding.title,
                "resource": resource.id,
                "message": render(finding.message, values),
                "remediation": render(finding.remediation, values),
                "sources": [finding.link] if finding.link else [],
                "origin": "policy",
                "location": resource.at.as_dict(),
            }


def regrade(findings: list[dict[str, Any]], policy: Policy) -> None:
    """Severity overrides of built-in findings, each with the policy's reason (before sorting)."""
    for finding in findings:
        override = policy.overrides.get(finding["id"])
        if override is not None and override.severity is not None and "origin" not in finding:
            finding["override"] = {
                "severity": finding["severity"],
                "reason": override.reason,
                "origin": "policy",
            }
            finding["severity"] = override.severity


def suppress(findings: list[dict[str, Any]], policy: Policy, today: date) -> None:
    """Suppressions of built-in findings: not counted until they expire (no expiry: permanent, and said)."""
    for finding in findings:
        override = policy.overrides.get(finding["id"])
        if override is None or not override.suppress or "origin" in finding:
            continue
        expires = override.expires.isoformat() if override.expires else None
        entry = {
            "reason": override.reason,
            "expires": expires,
            "permanent": expires is None,
            "origin": "policy",
        }
        if override.expires is None or override.expires >= today:
            finding["suppressed"] = entry
            finding["counted"] = False
        else:
            finding["suppression_expired"] = entry
            finding["message"] += f" (policy suppression expired on {expires}: counted again)"

"""evaluate(): a proposal and a knowledge base in, the evaluation document of shared/spec/proposal.md out.

Pure apart from `today` (defaults to the current date, for acknowledgement expiry): the same proposal,
knowledge base and date give the same document.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from recommender.engine import decide, profile_findings
from recommender.errors import DocumentError, InputError, ProposalError
from recommender.evaluation.checks import (
    Hit,
    NetworkData,
    backup_missing_hits,
    database_hits,
    default_group_hits,
    overlap_hits,
    security_group_hits,
)
from recommender.evaluation.choices import backup_objective_hits, review_choices
from recommender.evaluation.diagram import build_diagram
from recommender.evaluation.policy import finding_ids, policy_findings, regrade, suppress
from recommender.evaluation.proposal import Flow, Proposal, load_proposal
from recommender.evaluation.reachability import Trace, Tracer
from recommender.knowledge import SEVERITIES, KnowledgeBase
from recommender.text import render

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
# Score: 100 minus these points per counted finding, never below 0.
PENALTY = {"critical": 40.0, "high": 20.0, "medium": 8.0, "low": 2.0}


def network_data(kb: KnowledgeBase) -> NetworkData:
    """The checks' network data, worked out once per knowledge base (and dropped with it on reload)."""
    data: NetworkData | None = kb.cache.get("network_data")
    if data is None:
        data = kb.cache["network_data"] = NetworkData.from_kb(kb.network)
    return data


def evaluate(
    proposal: Proposal | Mapping[str, Any],
    kb: KnowledgeBase,
    *,
    today: date | None = None,
    diagram: bool = False,
) -> dict[str, Any]:
    """The evaluation of one proposal. A raw mapping is validated first (ProposalError when invalid).

    `diagram`: add the `diagram` section (the topology and each flow's hops, for drawing; diagram.py)."""
    if not isinstance(proposal, Proposal):
        proposal = load_proposal(proposal, finding_ids=finding_ids(kb))
    known = finding_ids(kb)
    unknown = {f"{a.at.path}.finding": [f"Unknown finding '{a.finding}'."]
               for a in proposal.acknowledgements if a.finding not in known}  # fmt: skip
    if unknown:
        raise ProposalError("The proposal is invalid.", unknown)
    today = today or date.today()
    data = network_data(kb)
    facts: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    hits: list[Hit] = []
    if proposal.profile is not None:
        facts, outcomes = decide_cached(proposal, kb)
    choices, choice_hits = review_choices(proposal, kb, outcomes, facts)
    flows, flow_hits, traced = trace_flows(proposal, data)
    hits += security_group_hits(proposal, data)
    hits += database_hits(proposal)
    hits += default_group_hits(proposal)
    hits += overlap_hits(proposal)
    hits += flow_hits
    hits += backup_missing_hits(proposal, data)
    hits += backup_objective_hits(proposal, kb, outcomes, facts, data)
    hits += choice_hits
    findings = [render_hit(hit, kb) for hit in hits if hit.finding in kb.findings]
    if proposal.profile is not None:
        findings += profile_findings(facts, kb)
    if kb.policy is not None:  # an organisation policy: its re-grades and its own findings
        regrade(findings, kb.policy)
        findings += policy_findings(proposal, kb, facts)
    findings = _unique_sorted(findings)
    acknowledge(findings, proposal, today)
    if kb.policy is not None:
        suppress(findings, kb.policy, today)
    counted = [f for f in findings if f["counted"]]
    by_severity = {s: sum(1 for f in counted if f["severity"] == s) for s in SEVERITIES}
    result: dict[str, Any] = {
        "name": proposal.name,
        "verdict": verdict(by_severity),
        "score": score(by_severity),
        "knowledge_base": kb.identity,
        "choices": choices,
        "flows": flows,
        "findings": findings,
        "summary": {
            "findings_by_severity": by_severity,
            "acknowledged": sum(1 for f in findings if "acknowledged" in f),
            **(
                {"suppressed": sum(1 for f in findings if "suppressed" in f)} if kb.policy is not None else {}
            ),
            "flows": {"total": len(flows), "reachable": sum(1 for f in flows if f["reachable"])},
        },
    }
    notes = [f"{r.id} has no subnet: its network checks (security groups, subnet, reachability) are skipped; "
             f"only its backups and settings are reviewed"
             for r in proposal.topology.resources.values() if r.type == "rds" and r.subnet is None]  # fmt: skip
    if notes:
        result["notes"] = notes
    if proposal.imported is not None:
        result["import"] = dict(proposal.imported)
    if diagram:
        result["diagram"] = build_diagram(proposal.topology, traced)
    return result


DECISION_CACHE_SIZE = 512
_DECISIONS: OrderedDict[tuple[str, bytes], tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()


def decide_cached(proposal: Proposal, kb: KnowledgeBase) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine's facts and domain outcomes for the proposal's profile (read-only; shared by equal profiles)."""
    assert proposal.profile is not None
    digest = kb.digest if kb.policy is None else f"{kb.digest}+{kb.policy.digest}"
    key = (digest, proposal.profile_key) if proposal.profile_key else None
    if key is not None and key in _DECISIONS:
        return _DECISIONS[key]
    facts, outcomes, _ = decide(proposal.profile, kb)
    if key is not None:
        _DECISIONS[key] = (facts, outcomes)
        if len(_DECISIONS) > DECISION_CACHE_SIZE:
            _DECISIONS.popitem(last=False)
    return facts, outcomes


def verdict(by_severity: Mapping[str, int]) -> str:
    if by_severity["critical"] or by_severity["high"]:
        return "fail"
    return "warn" if by_severity["medium"] else "pass"


def score(by_severity: Mapping[str, int]) -> float:
    return max(0.0, 100.0 - sum(PENALTY[s] * n for s, n in by_severity.items()))


def trace_flows(
    proposal: Proposal, data: NetworkData
) -> tuple[list[dict[str, Any]], list[Hit], list[tuple[Flow, Trace]]]:
    """The `flows` of the evaluation, their findings, and the traces themselves (for the diagram)."""
    t = proposal.topology
    if not t.flows:
        return [], [], []
    tracer = Tracer(t, data.ephemeral_ports)
    low, high = data.ephemeral_ports
    results: list[dict[str, Any]] = []
    hits: list[Hit] = []
    traced: list[tuple[Flow, Trace]] = []
    for flow in t.flows:
        trace = tracer.trace(t.resources[flow.source], t.resources[flow.target], flow.port, flow.protocol)
        traced.append((flow, trace))
        results.append({
            "from": flow.source, "to": flow.target, "port": flow.port, "protocol": flow.protocol,
            "reachable": trace.reachable, "blocked_by": trace.blocked_by, "path": trace.path,
        })  # fmt: skip
        if trace.reachable:
            continue
        values = {"source": flow.source, "target": flow.target, "protocol": flow.protocol, "port": flow.port,
                  "blocked_by": trace.blocked_by, "fix": trace.fix}  # fmt: skip
        hits.append(Hit("flow-unreachable", f"{flow.source}->{flow.target}:{flow.port}", values, flow.at))
        if trace.return_blocked:
            subnet, direction, address = trace.return_blocked
            hits.append(Hit("nacl-blocks-return-traffic", subnet, {
                **values, "subnet": subnet, "direction": direction, "address": address,
                "preposition": "from" if direction == "inbound" else "to", "ephemeral": f"{low}-{high}",
            }, proposal.topology.network_acls[subnet].at))  # fmt: skip
    return results, hits, traced


def render_hit(hit: Hit, kb: KnowledgeBase) -> dict[str, Any]:
    finding = kb.findings[hit.finding]
    out: dict[str, Any] = {
        "id": finding.id,
        "severity": finding.severity,
        "title": finding.title,
        "resource": hit.resource,
        "message": render(finding.message, hit.values),
        "remediation": render(finding.remediation, hit.values),
        "sources": list(finding.sources),
    }
    if finding.references:
        out["references"] = {k: list(v) for k, v in finding.references.items()}
    if hit.at is not None:
        out["location"] = hit.at.as_dict()
    return out


def _unique_sorted(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {(f["id"], f["resource"], f["message"]): f for f in findings}
    return sorted(
        unique.values(),
        key=lambda f: (SEVERITY_RANK[f["severity"]], f["id"], f["resource"],
                       (f.get("location") or {}).get("line") or 0, f["message"]),
    )  # fmt: skip


def acknowledge(findings: list[dict[str, Any]], proposal: Proposal, today: date) -> None:
    """Mark findings matched by an acknowledgement; an unexpired one stops the finding from counting."""
    for finding in findings:
        finding["counted"] = True
        for ack in proposal.acknowledgements:
            if ack.finding != finding["id"] or ack.resource not in (None, finding["resource"]):
                continue
            expires = ack.expires.isoformat() if ack.expires else None
            if ack.expires is None or ack.expires >= today:
                finding["acknowledged"] = {"reason": ack.reason, "expires": expires}
                finding["counted"] = False
                break
            finding["acknowledgement_expired"] = {"reason": ack.reason, "expires": expires}
            finding["message"] += f" (acknowledgement expired on {expires}: counted again)"


def error_result(index: int | None, exc: InputError) -> dict[str, Any]:
    """The result of an invalid batch item: its index and the field errors (RFC 9457 members)."""
    status = 400 if isinstance(exc, DocumentError) else 422
    error = {"type": "about:blank", "title": "Invalid proposal", "status": status, "detail": exc.detail,
             "errors": exc.errors}  # fmt: skip
    return {"index": index, "error": error}


def evaluate_many(
    documents: Iterable[Any], kb: KnowledgeBase, *, today: date | None = None
) -> Iterator[dict[str, Any]]:
    """Evaluate each document in turn; an invalid one gives an error object with its index, not an exception."""
    today = today or date.today()
    for index, document in enumerate(documents):
        try:
            proposal = load_proposal(document, finding_ids=finding_ids(kb))
        except InputError as exc:
            yield error_result(index, exc)
            continue
        yield evaluate(proposal, kb, today=today)


class BatchSummary:
    """Counts for `{"results": [...], "summary": ...}`: verdicts, invalid items, counted findings by severity."""

    def __init__(self) -> None:
        self.counts = {"total": 0, "pass": 0, "warn": 0, "fail": 0, "errors": 0}
        self.by_severity = dict.fromkeys(SEVERITIES, 0)

    def add(self, result: Mapping[str, Any]) -> None:
        self.counts["total"] += 1
        if "error" in result:
            self.counts["errors"] += 1
            return
        self.counts[result["verdict"]] += 1
        for severity, n in result["summary"]["findings_by_severity"].items():
            self.by_severity[severity] += n

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "findings_by_severity": dict(self.by_severity)}

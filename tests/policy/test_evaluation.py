"""Evaluation with an organisation policy: `policy-violation` findings for disallowed and missing required
choices and Regions outside `allowed`, the policy's own findings, severity overrides and suppressions (with
expiry; permanent ones said so); all count toward the verdict and appear in every report format."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.evaluation import evaluate, load_proposal
from recommender.evaluation.policy import finding_ids
from recommender.knowledge import KnowledgeBase
from recommender.policy import apply_policy, load_policy
from tests.evaluation.conftest import BASE, TODAY, group
from tests.policy.conftest import write_policy

HEAD = "policy: acme\nversion: '1'\n"


def run(
    kb: KnowledgeBase, body: str, doc: dict[str, Any], tmp_path: Path, today: date = TODAY
) -> dict[str, Any]:
    policy_kb = apply_policy(kb, load_policy(write_policy(tmp_path, HEAD + body), kb))
    return evaluate(load_proposal(doc, finding_ids=finding_ids(policy_kb)), policy_kb, today=today)


def proposal(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def open_ssh() -> dict[str, Any]:
    doc = proposal()
    group(doc, "sg-app")["inbound"].append({"protocol": "tcp", "ports": "22", "source": "0.0.0.0/0"})
    return doc


def oracle() -> dict[str, Any]:
    doc = proposal()
    doc["topology"]["resources"][1].update(engine="oracle", port=1521)
    group(doc, "sg-db")["inbound"][0]["ports"] = "1521"
    doc["topology"]["flows"][0]["port"] = 1521
    return doc


REQUIRED_BACKUP = ("domains:\n  backup:\n    required:\n      - option: aws_backup\n        reason: Locked vaults.\n"
                   "        when: {field: backup.scope, op: contains, value: databases}\n")  # fmt: skip
CUSTOM = ("findings:\n  - id: acme-licensed-engine\n    severity: medium\n    title: Licensed engine\n"
          "    when: {resource: rds, field: engine, op: in, value: [oracle, sqlserver]}\n"
          "    message: '{resource} runs {engine}.'\n    remediation: Use PostgreSQL.\n")  # fmt: skip

# (case, policy body, proposal, (finding id, resource, severity) expected with origin: policy)
RAISED = [
    ("Region outside allowed", "regions: {allowed: [eu-west-1]}\n", proposal(), ("policy-violation", "vpc-main", "high")),
    ("disallowed choice", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecs, reason: EKS only.}\n",
     proposal(choices={"orchestrator": "ecs"}), ("policy-violation", "choices.orchestrator", "high")),
    ("disallowed backup option", "domains:\n  backup:\n    disallowed:\n      - {option: rds_automated_backups, reason: r}\n",
     proposal(), ("policy-violation", "choices.backup.rds_automated_backups", "high")),
    ("required choice missing", REQUIRED_BACKUP, proposal(profile={"backup": {"scope": ["databases"]}}),
     ("policy-violation", "choices.backup", "high")),
    ("custom finding", CUSTOM, oracle(), ("acme-licensed-engine", "db", "medium")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "doc", "expected"), RAISED, ids=[c for c, _, _, _ in RAISED])
def test_a_policy_raises_its_findings(
    case: str,
    body: str,
    doc: dict[str, Any],
    expected: tuple[str, str, str],
    kb: KnowledgeBase,
    tmp_path: Path,
) -> None:
    result = run(kb, body, doc, tmp_path)
    raised = [
        (f["id"], f["resource"], f["severity"]) for f in result["findings"] if f.get("origin") == "policy"
    ]
    assert raised == [expected]
    assert all(f["counted"] for f in result["findings"] if f.get("origin") == "policy")
    assert result["knowledge_base"]["policy"] == {
        "name": "acme",
        "version": "1",
        "digest": result["knowledge_base"]["policy"]["digest"],
    }
    if expected[2] == "high":
        assert result["verdict"] == "fail"


@pytest.mark.parametrize(
    ("case", "body", "doc"),
    [
        ("Region allowed", "regions: {allowed: [us-east-1]}\n", proposal()),
        ("other choice", "domains:\n  orchestrator:\n    disallowed:\n      - {option: ecs, reason: r}\n",
         proposal(choices={"orchestrator": "eks"})),
        ("required present", REQUIRED_BACKUP,
         proposal(profile={"backup": {"scope": ["databases"]}}, choices={"backup": ["aws_backup"]})),
        ("required condition false", REQUIRED_BACKUP, proposal(profile={"backup": {"scope": ["volumes"]}})),
        ("custom finding not matching", CUSTOM, proposal()),
    ],
)  # fmt: skip
def test_a_policy_raises_nothing_when_kept(
    case: str, body: str, doc: dict[str, Any], kb: KnowledgeBase, tmp_path: Path
) -> None:
    assert [f["id"] for f in run(kb, body, doc, tmp_path)["findings"] if f.get("origin") == "policy"] == []


def test_a_severity_override_regrades_a_builtin_finding(kb: KnowledgeBase, tmp_path: Path) -> None:
    body = "overrides:\n  - {finding: sg-open-admin-port, severity: low, reason: Bastion lab.}\n"
    (finding,) = [
        f for f in run(kb, body, open_ssh(), tmp_path)["findings"] if f["id"] == "sg-open-admin-port"
    ]
    assert finding["severity"] == "low"
    assert finding["override"] == {"severity": "high", "reason": "Bastion lab.", "origin": "policy"}


@pytest.mark.parametrize(
    ("expires", "today", "counted", "permanent"),
    [("2027-06-30", date(2026, 11, 26), False, False), ("2027-06-30", date(2027, 7, 1), True, False),
     (None, date(2030, 1, 1), False, True)],
)  # fmt: skip
def test_suppressions_expire_and_permanent_ones_say_so(
    expires: str | None, today: date, counted: bool, permanent: bool, kb: KnowledgeBase, tmp_path: Path
) -> None:
    until = f", expires: {expires}" if expires else ""
    body = f"overrides:\n  - {{finding: backup-missing, suppress: true, reason: Pilot{until}}}\n"
    doc = proposal(choices={})
    doc.pop("choices")
    result = run(kb, body, doc, tmp_path, today)
    (finding,) = [f for f in result["findings"] if f["id"] == "backup-missing"]
    assert finding["counted"] is counted
    entry = finding["suppression_expired" if counted else "suppressed"]
    assert entry == {"reason": "Pilot", "expires": expires, "permanent": permanent, "origin": "policy"}
    assert result["summary"]["suppressed"] == (0 if counted else 1)


def test_policy_findings_can_be_acknowledged(kb: KnowledgeBase, tmp_path: Path) -> None:
    doc = proposal(acknowledgements=[{"finding": "policy-violation", "reason": "Migration until March."}])
    result = run(kb, "regions: {allowed: [eu-west-1]}\n", doc, tmp_path)
    (finding,) = [f for f in result["findings"] if f["id"] == "policy-violation"]
    assert finding["counted"] is False and result["verdict"] != "fail"


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "table"])
def test_every_report_format_shows_policy_findings(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "proposal.json"
    path.write_text(json.dumps(oracle()))
    policy = write_policy(tmp_path, HEAD + "regions: {allowed: [eu-west-1]}\n" + CUSTOM)
    code = main(["evaluate", str(path), "--policy", str(policy), "--format", fmt])
    out = capsys.readouterr().out
    assert code == 1
    assert "policy-violation" in out and "acme-licensed-engine" in out
    if fmt == "sarif":
        rules = {r["id"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
        assert {"policy-violation", "acme-licensed-engine"} <= rules

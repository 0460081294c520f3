"""Do our verdicts agree with the tools teams already run? (Checkov and cfn-lint, on the importer fixtures.)

    .venv/bin/python bench/agreement.py [--checkov PATH] [--cfn-lint PATH]

For four checks (world-open SSH, world-open database ports, publicly accessible RDS, missing backups)
every security group or database of the fixture templates gets three verdicts: ours (import + evaluate),
Checkov's and cfn-lint's. Prints a markdown table: where they agree, where they differ, and why.

Checkov pins old boto3/botocore/packaging, so install it in a venv of its own and pass --checkov (or put
it on PATH / set CHECKOV). It runs with --skip-download (no network).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommender.evaluation.evaluate import evaluate  # noqa: E402
from recommender.evaluation.proposal import load_proposal  # noqa: E402
from recommender.importers import import_source  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402

TEMPLATES = ROOT / "tests" / "importers" / "templates"

# check -> (our finding ids, Checkov check ids for CloudFormation, cfn-lint rule ids)
CHECKS: dict[str, tuple[set[str], set[str], set[str]]] = {
    "world-open SSH": ({"sg-open-admin-port", "sg-all-traffic-open"}, {"CKV_AWS_24"}, set()),
    "world-open database port": ({"sg-open-database-port", "sg-all-traffic-open"}, set(), set()),
    "publicly accessible RDS": ({"db-publicly-accessible"}, {"CKV_AWS_17"}, set()),
    "missing backups": ({"backup-missing"}, {"CKV_AWS_133"}, set()),
}
SUBJECT = {"world-open SSH": "sg", "world-open database port": "sg"}  # the others are about databases

# Why the tools differ, per (check, which side flags): the causes seen when the table was made (2026-11).
REASONS = {
    ("world-open SSH", "ours"): "an all-protocols rule (IpProtocol -1, no ports) opens 22 too; Checkov's "
    "CKV_AWS_24 did not flag it",
    ("world-open database port", "ours"): "Checkov has no CloudFormation check for database ports open to "
    "the world (its port checks are 22, 3389 and 80)",
    ("missing backups", "ours"): "Checkov has no CloudFormation check that BackupRetentionPeriod is above 0 "
    "(CKV_AWS_133 is for Terraform); cfn-lint neither",
}
UNSEEN = "a difference not seen when this table was written: read the template and both tools' output"
NO_CHECK_CFN_LINT = "cfn-lint validates template syntax and schema; it has no security or backup rule"


@dataclass(frozen=True)
class Subject:
    template: str
    check: str
    logical_id: str


def our_verdicts(kb: Any) -> tuple[dict[Subject, bool], dict[str, dict[str, str]]]:
    """Per subject, whether we flag it; and per template, which logical id a rule resource belongs to."""
    verdicts: dict[Subject, bool] = {}
    owners: dict[str, dict[str, str]] = {}
    for path in sorted(TEMPLATES.iterdir()):
        proposal = import_source("cfn", str(path), "us-east-1")
        proposal.pop("import")
        result = evaluate(load_proposal(proposal), kb)
        topology = proposal.get("topology", {})
        groups = [g["id"] for g in topology.get("security_groups", [])]
        databases = [r["id"] for r in topology.get("resources", []) if r["type"] == "rds"]
        owners[path.name] = {
            rule["origin"]["logical_id"]: group["id"]
            for group in topology.get("security_groups", [])
            for rule in group["inbound"]
        }
        for check, (ours, _, _) in CHECKS.items():
            for subject in groups if SUBJECT.get(check) == "sg" else databases:
                hit = any(f["id"] in ours and f["resource"] == subject for f in result["findings"])
                if check == "world-open SSH" and hit:
                    hit = any(
                        f["resource"] == subject
                        and ("22" in f["message"] or f["id"] == "sg-all-traffic-open")
                        for f in result["findings"]
                        if f["id"] in ours
                    )
                verdicts[Subject(path.name, check, subject)] = hit
    return verdicts, owners


def checkov_failures(checkov: str) -> tuple[str, set[tuple[str, str, str]]]:
    """Checkov's version and its failed (template, check id, logical id)."""
    version = subprocess.run(
        [checkov, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    command = [checkov, "-d", str(TEMPLATES), "--framework", "cloudformation", "-o", "json", "--quiet",
               "--compact", "--skip-download"]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    reports = json.loads(output)
    failed = set()
    for report in reports if isinstance(reports, list) else [reports]:
        for item in report.get("results", {}).get("failed_checks", []):
            failed.add((Path(item["file_path"]).name, item["check_id"], item["resource"].split(".", 1)[1]))
    return version, failed


def cfn_lint_rules(cfn_lint: str) -> tuple[str, set[tuple[str, str, str]]]:
    version = subprocess.run(
        [cfn_lint, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    files = [str(p) for p in sorted(TEMPLATES.iterdir())]
    output = subprocess.run(
        [cfn_lint, "-I", "--format", "json", *files], capture_output=True, text=True
    ).stdout
    found = set()
    for match in json.loads(output or "[]"):
        path = match["Location"].get("Path") or []
        logical_id = path[1] if len(path) > 1 and path[0] == "Resources" else ""
        found.add((Path(match["Filename"]).name, match["Rule"]["Id"], logical_id))
    return version, found


def flagged(
    failures: set[tuple[str, str, str]], ids: set[str], subject: Subject, owners: dict[str, str]
) -> bool:
    return any(
        template == subject.template and check in ids and owners.get(lid, lid) == subject.logical_id
        for template, check, lid in failures
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkov", default=os.environ.get("CHECKOV") or shutil.which("checkov"))
    parser.add_argument(
        "--cfn-lint", default=shutil.which("cfn-lint") or str(Path(sys.executable).parent / "cfn-lint")
    )
    args = parser.parse_args()
    kb = load_knowledge()
    ours, owners = our_verdicts(kb)
    checkov_version, checkov = checkov_failures(args.checkov) if args.checkov else ("not installed", None)
    lint_version, lint = cfn_lint_rules(args.cfn_lint)

    print(f"Agreement on {len({s.template for s in ours})} CloudFormation templates (tests/importers/templates); "
          f"Checkov {checkov_version}, cfn-lint {lint_version}.\n")  # fmt: skip
    print("| template | check | subject | ours | Checkov | cfn-lint | agree | why they differ |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals = {"checkov": [0, 0], "cfn-lint": [0, 0]}
    for subject, mine in sorted(
        ours.items(), key=lambda item: (item[0].check, item[0].template, item[0].logical_id)
    ):
        _, checkov_ids, lint_ids = CHECKS[subject.check]
        theirs = (
            flagged(checkov, checkov_ids, subject, owners[subject.template]) if checkov is not None else None
        )
        linted = flagged(lint, lint_ids, subject, owners[subject.template])
        reasons = []
        if theirs is not None:
            totals["checkov"][0] += theirs == mine
            totals["checkov"][1] += 1
            if theirs != mine:
                reasons.append(
                    "Checkov: " + REASONS.get((subject.check, "ours" if mine else "checkov"), UNSEEN)
                )
        totals["cfn-lint"][0] += linted == mine
        totals["cfn-lint"][1] += 1
        if linted != mine:
            reasons.append("cfn-lint: " + NO_CHECK_CFN_LINT)
        agree = "yes" if not reasons else "no"
        show = {True: "flag", False: "-", None: "n/a"}
        print(f"| {subject.template} | {subject.check} | {subject.logical_id} | {show[mine]} | {show[theirs]} | "
              f"{show[linted]} | {agree} | {'; '.join(reasons)} |")  # fmt: skip
    print()
    for tool, (agreed, total) in totals.items():
        if total:
            print(f"- {tool}: agrees on {agreed} of {total} verdicts ({100 * agreed / total:.0f}%).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

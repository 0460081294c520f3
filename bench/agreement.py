"""Do our verdicts agree with the tools teams already run? (Checkov and cfn-lint, on CloudFormation templates.)

    .venv/bin/python bench/agreement.py [--checkov PATH] [--cfn-lint PATH] [--corpus | --dir DIR]

For four checks (world-open SSH, world-open database ports, publicly accessible RDS, missing backups)
every security group or database of the templates gets three verdicts: ours (import + evaluate),
Checkov's and cfn-lint's. Prints a markdown table: where they agree, where they differ, and why; then
the agreement per check. The templates are the importer fixtures (tests/importers/templates), or with
--corpus the 40 public templates of tests/importers/corpus (see bench/corpus.py), or any --dir.

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

from recommender.errors import InputError  # noqa: E402
from recommender.evaluation.evaluate import evaluate  # noqa: E402
from recommender.evaluation.proposal import load_proposal  # noqa: E402
from recommender.importers import import_source  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402

TEMPLATES = ROOT / "tests" / "importers" / "templates"
CORPUS = ROOT / "tests" / "importers" / "corpus"
SUFFIXES = (".yaml", ".yml", ".json", ".template")


def templates_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES)


# check -> (our finding ids, Checkov check ids for CloudFormation, cfn-lint rule ids)
CHECKS: dict[str, tuple[set[str], set[str], set[str]]] = {
    "world-open SSH": ({"sg-open-admin-port", "sg-all-traffic-open"}, {"CKV_AWS_24"}, set()),
    "world-open database port": ({"sg-open-database-port", "sg-all-traffic-open"}, set(), set()),
    "publicly accessible RDS": ({"db-publicly-accessible"}, {"CKV_AWS_17"}, set()),
    "missing backups": ({"backup-missing"}, {"CKV_AWS_133", "CKV_AWS_360", "CKV_AWS_361"}, set()),
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
WHOLE_INTERNET_TEXT = (
    "{source} (a parameter default) is the whole internet: a /0 with a non-zero address; Checkov's "
    "CKV_AWS_24 compares the text with 0.0.0.0/0"
)
REASONS[("missing backups", "checkov")] = (
    "Checkov's DocumentDB and Neptune checks (CKV_AWS_360/361) want 7 days of retention or more; we flag only "
    "no automated backups (0 days)"
)
ELASTICACHE_BACKUPS = (
    "Checkov's ElastiCache backup check (CKV_AWS_134) is for Terraform only: no CloudFormation check reads "
    "SnapshotRetentionLimit (unset: no snapshots)"
)
UNSEEN = "a difference not seen when this table was written: read the template and both tools' output"
NO_CHECK_CFN_LINT = "cfn-lint validates template syntax and schema; it has no security or backup rule"


@dataclass(frozen=True)
class Subject:
    template: str
    check: str
    logical_id: str


INBOUND: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (template, group) -> our inbound rules
DESCRIPTIONS: dict[tuple[str, str], str] = {}  # (template, database) -> its description in our proposal


def cause(subject: Subject, mine: bool) -> str:
    """Why Checkov's verdict differs from ours on this subject."""
    if subject.check == "world-open SSH" and mine:
        rules = INBOUND.get((subject.template, subject.logical_id), [])
        for rule in rules:
            source = str(rule.get("source", ""))
            if source.endswith("/0") and source not in ("0.0.0.0/0", "::/0") and rule["ports"] != "all":
                return WHOLE_INTERNET_TEXT.format(source=source)
    if (
        subject.check == "missing backups"
        and mine
        and "ElastiCache" in DESCRIPTIONS.get((subject.template, subject.logical_id), "")
    ):
        return ELASTICACHE_BACKUPS
    return REASONS.get((subject.check, "ours" if mine else "checkov"), UNSEEN)


def our_verdicts(
    kb: Any, files: list[Path]
) -> tuple[dict[Subject, bool], dict[str, dict[str, str]], dict[str, str]]:
    """Per subject, whether we flag it; per template, which logical id a rule resource belongs to; and the
    templates we refuse (name -> why), which have no verdict of ours to compare."""
    verdicts: dict[Subject, bool] = {}
    owners: dict[str, dict[str, str]] = {}
    refused: dict[str, str] = {}
    for path in files:
        try:
            proposal = import_source("cfn", str(path), "us-east-1")
        except InputError as exc:
            refused[path.name] = exc.detail.splitlines()[0]
            continue
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
        for group in topology.get("security_groups", []):
            INBOUND[(path.name, group["id"])] = group["inbound"]
        for resource in topology.get("resources", []):
            DESCRIPTIONS[(path.name, resource["id"])] = str(resource.get("description", ""))
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
    return verdicts, owners, refused


def checkov_failures(
    checkov: str, directory: Path, files: list[Path]
) -> tuple[str, set[tuple[str, str, str]], list[str]]:
    """Checkov's version, its failed (template, check id, logical id), and the templates it crashed on.
    One run on the directory; when Checkov crashes on it (it does on a resource whose Type is a mapping),
    one run per template."""
    version = subprocess.run(
        [checkov, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    options = ["--framework", "cloudformation", "-o", "json", "--quiet", "--compact", "--skip-download"]
    crashed: list[str] = []
    reports: list[Any] = []
    for target in [["-d", str(directory)]] + [["-f", str(path)] for path in files]:
        output = subprocess.run(
            [checkov, *target, *options], capture_output=True, text=True, check=False
        ).stdout
        try:
            found = json.loads(output)
        except ValueError:
            if target[0] == "-f":
                crashed.append(Path(target[1]).name)
            continue
        reports += found if isinstance(found, list) else [found]
        if target[0] == "-d":
            break
    failed = set()
    for report in reports:
        for item in report.get("results", {}).get("failed_checks", []):
            failed.add((Path(item["file_path"]).name, item["check_id"], item["resource"].split(".", 1)[1]))
    return version, failed, crashed


def cfn_lint_rules(cfn_lint: str, files: list[Path]) -> tuple[str, set[tuple[str, str, str]]]:
    version = subprocess.run(
        [cfn_lint, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    output = subprocess.run(
        [cfn_lint, "-I", "--format", "json", *map(str, files)], capture_output=True, text=True
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--corpus", action="store_true", help=f"the templates of {CORPUS.relative_to(ROOT)}")
    where.add_argument(
        "--dir", type=Path, help=f"a directory of templates (default {TEMPLATES.relative_to(ROOT)})"
    )
    args = parser.parse_args()
    directory = CORPUS if args.corpus else (args.dir or TEMPLATES)
    files = templates_in(directory)
    kb = load_knowledge()
    ours, owners, refused = our_verdicts(kb, files)
    checkov_version, checkov, checkov_crashed = (
        checkov_failures(args.checkov, directory, files) if args.checkov else ("not installed", None, [])
    )
    lint_version, lint = cfn_lint_rules(args.cfn_lint, files)

    print(f"Agreement on {len({s.template for s in ours})} CloudFormation templates ({directory}); "
          f"Checkov {checkov_version}, cfn-lint {lint_version}.\n")  # fmt: skip
    print("| template | check | subject | ours | Checkov | cfn-lint | agree | why they differ |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals = {"checkov": [0, 0], "cfn-lint": [0, 0]}
    per_check: dict[str, dict[str, list[int]]] = {
        check: {"checkov": [0, 0], "cfn-lint": [0, 0]} for check in CHECKS
    }
    causes: dict[str, dict[str, int]] = {check: {} for check in CHECKS}
    for subject, mine in sorted(
        ours.items(), key=lambda item: (item[0].check, item[0].template, item[0].logical_id)
    ):
        _, checkov_ids, lint_ids = CHECKS[subject.check]
        theirs = (
            flagged(checkov, checkov_ids, subject, owners[subject.template])
            if checkov is not None and subject.template not in checkov_crashed
            else None
        )
        linted = flagged(lint, lint_ids, subject, owners[subject.template])
        reasons = []
        if theirs is not None:
            for counts in (totals["checkov"], per_check[subject.check]["checkov"]):
                counts[0] += theirs == mine
                counts[1] += 1
            if theirs != mine:
                why = cause(subject, mine)
                reasons.append("Checkov: " + why)
                causes[subject.check][why] = causes[subject.check].get(why, 0) + 1
        for counts in (totals["cfn-lint"], per_check[subject.check]["cfn-lint"]):
            counts[0] += linted == mine
            counts[1] += 1
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
    print(
        "\n| check | verdicts | we flag | Checkov agrees | cfn-lint agrees | causes of the differences with Checkov |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for check, by_tool in per_check.items():
        flags = sum(mine for subject, mine in ours.items() if subject.check == check)
        total = by_tool["cfn-lint"][1]
        checkov_cell = (
            f"{by_tool['checkov'][0]} of {by_tool['checkov'][1]}" if by_tool["checkov"][1] else "n/a"
        )
        why = "; ".join(f"{cause} ({n})" for cause, n in sorted(causes[check].items())) or "-"
        print(
            f"| {check} | {total} | {flags} | {checkov_cell} | {by_tool['cfn-lint'][0]} of {total} | {why} |"
        )
    if checkov_crashed:
        print(f"\nCheckov crashed on (no verdict of Checkov's there): {', '.join(checkov_crashed)}")
    if refused:
        print(f"\nRefused by our importer (no verdict of ours to compare): {len(refused)}")
        for name, why in sorted(refused.items()):
            print(f"- {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`recommender evaluate`: formats, exit codes, batches (run as a user would, in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from recommender.documents import load_yaml
from recommender.evaluation import evaluate, load_proposal
from recommender.serialize import to_json
from tests.conftest import ROOT
from tests.evaluation.conftest import base, group


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "recommender.cli", "evaluate", *args],
                          capture_output=True, cwd=ROOT, check=False)  # fmt: skip


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def open_ssh() -> dict[str, Any]:
    doc = base()
    group(doc, "sg-app")["inbound"] = [{"protocol": "tcp", "ports": "22", "source": "0.0.0.0/0"}]
    return doc


def public_db_subnet() -> dict[str, Any]:
    doc = base()
    doc["topology"]["subnets"][1]["public"] = True
    return doc


def test_json_is_exactly_the_api_body(tmp_path: Path, kb: Any) -> None:
    path = write(tmp_path, "p.yaml", open_ssh())
    done = run(path, "--format", "json")
    document = load_yaml(Path(path).read_bytes())  # the same document the API gets for this YAML body
    expected = to_json(evaluate(load_proposal(document, finding_ids=kb.findings), kb, today=date.today()))
    assert done.stdout == expected + b"\n"


@pytest.mark.parametrize(("doc", "args", "code"), [
    (base(), [], 0),
    (open_ssh(), [], 1),
    (open_ssh(), ["--fail-on", "critical"], 0),
    (public_db_subnet(), [], 0),
    (public_db_subnet(), ["--fail-on", "medium"], 1),
    (public_db_subnet(), ["--fail-on", "low"], 1),
])  # fmt: skip
def test_exit_codes_and_fail_on(doc: dict[str, Any], args: list[str], code: int, tmp_path: Path) -> None:
    done = run(write(tmp_path, "p.yaml", doc), *args)
    assert done.returncode == code, done.stderr


def test_invalid_file_exits_2_with_the_field_path(tmp_path: Path) -> None:
    doc = base()
    doc["topology"]["flows"][0]["to"] = "dbb"
    done = run(write(tmp_path, "p.yaml", doc))
    assert done.returncode == 2 and done.stdout == b""
    assert b"topology.flows.0.to: Unknown resource 'dbb'. Did you mean 'db'?" in done.stderr
    assert b"Traceback" not in done.stderr


def test_unparsable_file_exits_2_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\ntopology: [\n")
    done = run(str(path))
    assert done.returncode == 2 and b"line" in done.stderr and b"Traceback" not in done.stderr


def test_list_with_invalid_items_reports_them_and_evaluates_the_rest(tmp_path: Path) -> None:
    bad = base()
    bad["topology"]["vpcs"][0]["cidr"] = "10.0.0.0/99"
    for name in ("batch.json", "batch.yaml"):
        done = run(write(tmp_path, name, [base(), bad, open_ssh()]), "--format", "json")
        assert done.returncode == 2
        out = json.loads(done.stdout)
        assert [r.get("verdict") for r in out["results"]] == ["pass", None, "fail"]
        assert (
            out["results"][1]["index"] == 1 and "topology.vpcs.0.cidr" in out["results"][1]["error"]["errors"]
        )
        assert out["summary"] == {"total": 3, "pass": 1, "warn": 0, "fail": 1, "errors": 1,
                                  "findings_by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0}}  # fmt: skip
        assert b"item 1" in done.stderr and b"topology.vpcs.0.cidr" in done.stderr


def test_several_files_give_results_and_summary(tmp_path: Path) -> None:
    done = run(
        write(tmp_path, "a.yaml", base()), write(tmp_path, "b.json", public_db_subnet()), "--format", "json"
    )
    assert done.returncode == 0
    out = json.loads(done.stdout)
    assert [r["verdict"] for r in out["results"]] == ["pass", "warn"]
    assert out["summary"]["warn"] == 1


# The parts of SARIF 2.1.0 that GitHub code scanning reads, written from the OASIS specification.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name", "rules"],
                    "properties": {"rules": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "shortDescription", "fullDescription", "help", "helpUri", "properties"],
                        "properties": {
                            "shortDescription": {"type": "object", "required": ["text"]},
                            "help": {"type": "object", "required": ["text"]},
                            "helpUri": {"type": "string", "pattern": "^https://"},
                            "properties": {"type": "object", "required": ["security-severity"],
                                           "properties": {"security-severity": {"type": "string", "pattern": "^[0-9.]+$"}}},
                        }}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["ruleId", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"type": "object", "required": ["text"]},
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["physicalLocation"], "properties": {"physicalLocation": {
                                "type": "object", "required": ["artifactLocation"],
                                "properties": {"artifactLocation": {"type": "object", "required": ["uri"]},
                                               "region": {"type": "object", "required": ["startLine"],
                                                          "properties": {"startLine": {"type": "integer", "minimum": 1}}}}}}}}}}}}}},
    },
}  # fmt: skip


def test_sarif_points_at_the_line_of_the_proposal(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: bastion\n"
        "topology:\n"
        "  vpcs: [{id: vpc-main, cidr: 10.0.0.0/16}]\n"
        "  security_groups:\n"
        "    - id: sg-bastion\n"
        "      vpc: vpc-main\n"
        "      inbound:\n"
        "        - {protocol: tcp, ports: '22', source: 0.0.0.0/0}\n"
    )
    done = run(str(path), "--format", "sarif")
    assert done.returncode == 1
    sarif = json.loads(done.stdout)
    jsonschema.validate(sarif, SARIF_SUBSET)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    (result,) = sarif["runs"][0]["results"]
    assert (
        result["ruleId"] == "sg-open-admin-port" and rules[result["ruleIndex"]]["id"] == "sg-open-admin-port"
    )
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == str(path) and location["region"]["startLine"] == 8


def test_sarif_marks_acknowledged_findings_as_suppressed(tmp_path: Path) -> None:
    doc = open_ssh()
    doc["acknowledgements"] = [
        {"finding": "sg-open-admin-port", "reason": "bastion", "expires": "2999-01-01"}
    ]
    sarif = json.loads(run(write(tmp_path, "p.yaml", doc), "--format", "sarif").stdout)
    (result,) = sarif["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "external"


def test_junit_has_a_suite_per_proposal_and_failures_for_counted_findings(tmp_path: Path, kb: Any) -> None:
    bad = base()
    bad["name"] = 7
    done = run(write(tmp_path, "batch.yaml", [open_ssh(), base(), bad]), "--format", "junit")
    assert done.returncode == 2
    root = ET.fromstring(done.stdout)
    suites = root.findall("testsuite")
    assert len(suites) == 3
    first = suites[0]
    assert int(first.get("tests") or 0) == len(kb.findings) and first.get("failures") == "1"
    failed = [case.get("name") for case in first.findall("testcase") if case.find("failure") is not None]
    assert failed == ["sg-open-admin-port"]
    assert suites[1].get("failures") == "0"
    assert suites[2].get("errors") == "1" and suites[2].find("testcase/error") is not None


def test_markdown_report_for_a_review_board(tmp_path: Path) -> None:
    doc = open_ssh()
    doc["topology"]["flows"][0]["port"] = 5432
    text = run(write(tmp_path, "p.yaml", doc), "--format", "markdown").stdout.decode()
    assert "## base: FAIL" in text
    assert "### High findings" in text and "**sg-open-admin-port**" in text and "Fix:" in text
    assert "### Flows" in text and "no rule allows tcp 5432" in text


def test_table_lists_findings_flows_and_choices(tmp_path: Path) -> None:
    text = run(write(tmp_path, "p.yaml", open_ssh())).stdout.decode()
    assert text.startswith("base: FAIL (score 80)")
    assert "sg-open-admin-port" in text and "flow   app -> db tcp 3306: reachable" in text


def test_unknown_input_kind_is_bad_usage(tmp_path: Path) -> None:
    done = run(write(tmp_path, "p.yaml", base()), "--from", "pulumi")
    assert done.returncode == 2 and b"--from pulumi: unknown kind (known: proposal" in done.stderr


def test_diagram_flag_adds_the_diagram_to_the_json(tmp_path: Path, kb: Any) -> None:
    path = write(tmp_path, "p.yaml", base())
    done = run(path, "--format", "json", "--diagram")
    document = load_yaml(Path(path).read_bytes())
    expected = evaluate(
        load_proposal(document, finding_ids=kb.findings), kb, today=date.today(), diagram=True
    )
    assert done.returncode == 0 and done.stdout == to_json(expected) + b"\n"
    assert json.loads(done.stdout)["diagram"]["flows"][0]["reachable"] is True

"""`recommender evaluate --from cfn|terraform` imports and evaluates in one step, with template lines."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

TEMPLATES = ROOT / "tests" / "importers" / "templates"


def evaluate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recommender.cli", "evaluate", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_from_cfn_points_sarif_at_the_template_line_and_echoes_the_import() -> None:
    template = TEMPLATES / "peering-chain.yaml"
    result = evaluate("--from", "cfn", str(template), "--format", "sarif")
    assert result.returncode == 1, (
        result.stderr
    )  # a high finding (unreachable flow) fails the default --fail-on
    run = json.loads(result.stdout)["runs"][0]
    broad = next(r for r in run["results"] if r["ruleId"] == "sg-broad-database-source")
    location = broad["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("peering-chain.yaml")
    line = template.read_text().splitlines()[location["region"]["startLine"] - 1]
    assert "10.1.1.0/24" in line  # the line that opened the port to a CIDR

    as_json = json.loads(evaluate("--from", "cfn", str(template), "--format", "json").stdout)
    assert as_json["import"]["source"] == "cloudformation"
    assert any("no traffic flows" in a for a in as_json["import"]["assumptions"])


def test_from_an_unknown_kind_is_bad_usage() -> None:
    result = evaluate("--from", "pulumi", str(TEMPLATES / "peering-chain.yaml"))
    assert result.returncode == 2
    assert "unknown kind" in result.stderr and "cfn" in result.stderr


def test_from_cfn_with_broken_yaml_exits_2_naming_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: [1\n")
    result = evaluate("--from", "cfn", str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith(f"recommender: error: {broken}:5: invalid YAML")
    assert "Traceback" not in result.stderr


def test_an_imported_template_draws_with_each_element_declared_line() -> None:
    import xml.etree.ElementTree as ET

    template = TEMPLATES / "peering-chain.yaml"
    result = evaluate("--from", "cfn", str(template), "--format", "svg")
    assert result.returncode == 1, result.stderr  # its flow is unreachable (peering is not transitive)
    svg = "{http://www.w3.org/2000/svg}"
    titles = {
        g.get("id"): (g.findtext(f"{svg}title") or "") for g in ET.fromstring(result.stdout).iter(f"{svg}g")
    }
    app_line = next(n for n, text in enumerate(template.read_text().splitlines(), 1) if "App:" in text)
    assert titles["node-App"] == f"App (ec2)\ndeclared at {template}:{app_line} (App)"
    assert "not transitive" in titles["flow-0"]

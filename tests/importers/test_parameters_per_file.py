"""`--parameter FILE:NAME=VALUE` gives a value to one template when several stacks imported together
declare a parameter of the same name; `NAME=VALUE` gives it to all, and a per-file value wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli import main

STACK = """Parameters:
  Cidr: {Type: String}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: !Ref Cidr}}
"""


@pytest.fixture
def stacks(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(STACK.replace("Vpc:", "VpcA:"))
    b.write_text(STACK.replace("Vpc:", "VpcB:"))
    return str(a), str(b)


CASES: list[tuple[str, list[str], dict[str, str]]] = [
    ("one value for all", ["Cidr=10.0.0.0/16"], {"VpcA": "10.0.0.0/16", "VpcB": "10.0.0.0/16"}),
    ("one value per file", ["A:Cidr=10.1.0.0/16", "B:Cidr=10.2.0.0/16"], {"VpcA": "10.1.0.0/16", "VpcB": "10.2.0.0/16"}),
    ("a per-file value wins", ["Cidr=10.0.0.0/16", "B:Cidr=10.2.0.0/16"], {"VpcA": "10.0.0.0/16", "VpcB": "10.2.0.0/16"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "parameters", "cidrs"), CASES, ids=[c for c, _, _ in CASES])
def test_parameter_per_file(
    case: str, parameters: list[str], cidrs: dict[str, str], stacks: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    a, b = stacks
    args = ["import", "cfn", a, b, "--format", "json"]
    args += [f"--parameter={p.replace('A:', a + ':').replace('B:', b + ':')}" for p in parameters]
    assert main(args) == 0
    proposal = json.loads(capsys.readouterr().out)
    assert {v["id"]: v["cidr"] for v in proposal["topology"]["vpcs"]} == cidrs


def test_a_parameter_for_a_file_not_imported_exits_2(
    stacks: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = stacks
    with pytest.raises(SystemExit) as caught:
        main(["import", "cfn", a, "--parameter", "other.yaml:Cidr=10.0.0.0/16"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "'other.yaml' is not one of the files imported" in err and "Traceback" not in err

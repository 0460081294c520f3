"""No importer input ends in a traceback: bad input exits 2 naming the file, line and resource; a bug exits 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.errors import InputError
from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, to_proposal
from tests.importers.test_model import HCL, comparable

VPC = "  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
SSH_OPEN = """Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
          Description: !Sub "${AWS::StackName} admin"
"""


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("Resources:\n" + VPC + "  Odd: {Type: {Ref: X}}\n", "t.yaml:3: resource Odd", "Type must be"),
        ("Resources:\n" + VPC + "  Odd: {Type: AWS::EC2::Subnet, Properties: [1]}\n", "t.yaml:3: resource Odd",
         "Properties must be a mapping"),
        ("Resources:\n" + VPC + "  Odd:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
         "      SecurityGroupIngress: {IpProtocol: tcp, FromPort: [22], ToPort: 22, CidrIp: 0.0.0.0/0}\n",
         "t.yaml:3: resource Odd (AWS::EC2::SecurityGroup)", "shape this importer does not read"),
        ("Parameters: [1]\nResources:\n" + VPC, "t.yaml", "Parameters must be a mapping"),
    ],
)  # fmt: skip
def test_a_template_of_an_unexpected_shape_is_refused_naming_the_resource(
    text: str, where: str, what: str
) -> None:
    with pytest.raises(InputError) as caught:
        to_proposal("cfn", text, "t.yaml")
    assert caught.value.detail.startswith(where) and what in caught.value.describe()


def test_unknown_tags_are_unresolved_values_as_in_the_json_form() -> None:
    text = "Resources:\n" + VPC + "  Sn:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: !Ref Vpc\n" \
           "      CidrBlock: !Rain::Embed cidr.txt\n"  # fmt: skip
    proposal = to_proposal("cfn", text, "t.yaml")
    assert "t.yaml:7: Sn.CidrBlock left out: Fn::Rain::Embed is not a CloudFormation function" in "\n".join(
        proposal["import"]["assumptions"]
    )


def test_malformed_function_arguments_are_an_assumption_with_their_line() -> None:
    text = "Resources:\n" + VPC + "  Sn:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: !Ref Vpc\n" \
           "      CidrBlock: !Join [only-one-argument]\n"  # fmt: skip
    assumptions = "\n".join(to_proposal("cfn", text, "t.yaml")["import"]["assumptions"])
    assert "t.yaml:7: Sn.CidrBlock left out: Fn::Join: its arguments do not have the form" in assumptions


def test_a_rule_with_an_unresolved_description_is_kept_and_found(kb: Any) -> None:
    proposal = to_proposal("cfn", SSH_OPEN, "t.yaml")
    group = proposal["topology"]["security_groups"][0]
    assert group["inbound"][0]["source"] == "0.0.0.0/0" and group["inbound"][0]["ports"] == "22"
    result = evaluate(load_proposal(proposal), kb)
    assert any(f["id"] == "sg-open-admin-port" for f in result["findings"])


def test_a_list_parameter_given_on_the_command_line_is_split() -> None:
    text = (
        "Parameters:\n  Cidrs: {Type: CommaDelimitedList}\n  One: {Type: String}\nResources:\n" + VPC
        + "  Sn:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: !Ref Vpc\n"
        "      CidrBlock: !Select [1, !Ref Cidrs]\n      AvailabilityZone: !Select [0, !Ref One]\n"
    )  # fmt: skip
    from recommender.importers.cfn import import_templates

    proposal = import_templates([("t.yaml", text)], None, {"Cidrs": "10.0.0.0/24, 10.0.1.0/24", "One": "a,b"})
    assert proposal["topology"]["subnets"][0]["cidr"] == "10.0.1.0/24"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"planned_values": {"root_module": {"resources": [{"type": "aws_vpc"}]}}}', "unexpected shape"),
        ('{"planned_values": {"root_module": {"resources": [{"address": "aws_db_instance.d", '
         '"type": "aws_db_instance", "values": {"engine": "mysql", "port": "abc"}}]}}}', "plan.json:1: aws_db_instance.d"),
    ],
)  # fmt: skip
def test_a_plan_of_an_unexpected_shape_is_refused(document: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        to_proposal("terraform", document, "plan.json")


def test_a_utf16_plan_from_powershell_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A generated plan (hcl/network-links) as PowerShell's `terraform show -json > plan.json` writes it."""
    utf8 = HCL / "network-links" / "plan.json"
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe" + utf8.read_text().encode("utf-16-le"))
    assert main(["import", "terraform", str(path), "--format", "json"]) == 0
    assert '"cidr":"10.0.0.0/16"' in capsys.readouterr().out.replace(" ", "")
    assert comparable(import_source("terraform", str(path))) == comparable(
        import_source("terraform", str(utf8))
    )


def test_cli_exit_codes_2_for_bad_input_and_3_for_a_bug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text("Resources:\n  Odd: {Type: [AWS::EC2::VPC]}\n")
    assert main(["evaluate", "--from", "cfn", str(odd)]) == 2
    err = capsys.readouterr().err
    assert f"{odd}:2: resource Odd: its Type must be" in err and "Traceback" not in err

    good = tmp_path / "good.yaml"
    good.write_text(SSH_OPEN)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("recommender.importers.import_sources", broken)
    assert main(["evaluate", "--from", "cfn", str(good)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"internal error while reading {good}: RuntimeError: a bug" in err


def test_an_input_the_importer_cannot_make_valid_names_the_lines_behind_the_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mismatch = tmp_path / "mismatch.yaml"  # the instance's subnet and its group are in different VPCs
    mismatch.write_text(
        "Resources:\n"
        "  A: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
        "  B: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}\n"
        "  Sn: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref A, CidrBlock: 10.0.1.0/24}}\n"
        "  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !Ref B}}\n"
        "  App: {Type: AWS::EC2::Instance, Properties: {InstanceType: t3.micro, SubnetId: !Ref Sn, SecurityGroupIds: [!Ref Sg]}}\n"
    )
    assert main(["evaluate", "--from", "cfn", str(mismatch)]) == 2
    err = capsys.readouterr().err
    assert "the importer could not turn this input into a valid proposal" in err
    assert f"topology.resources.0.security_groups.0: {mismatch}:6: App: Sg belongs to B" in err


def _places(value: Any, trail: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every key path under a parsed template node."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    return [place for key, item in items for place in ((*trail, key), *_places(item, (*trail, key)))]


def test_mutated_real_templates_never_crash_the_importer() -> None:
    """Values of every shape put in random places of real templates: an InputError or a proposal, nothing else."""
    import contextlib
    import copy
    import random

    from recommender.importers.cfn import import_templates, load_template

    weird: list[Any] = [None, [], {}, [1], {"a": 1}, -1, 99999999, "x", True, 3.5, {"Ref": "Nope"},
                        {"Fn::GetAtt": 5}, {"Fn::Join": 1}, {"Fn::Select": ["a", "b"]}, {"Fn::If": [1]}, [None]]  # fmt: skip
    rng = random.Random(7)
    for path in sorted((Path(__file__).parent / "corpus").glob("*.yaml"))[::4]:
        original = load_template(path.read_text(), path.name)
        places = _places(original["Resources"], ("Resources",))
        for _ in range(25):
            document = copy.deepcopy(original)
            trail = rng.choice(places)
            try:
                node = document
                for key in trail[:-1]:
                    node = node[key]
                node[trail[-1]] = copy.deepcopy(rng.choice(weird))
            except (KeyError, IndexError, TypeError):
                continue
            with contextlib.suppress(InputError):
                import_templates([(path.name, document)], ["us-east-1"])


def test_for_each_loops_are_skipped_and_preprocessor_modules_refused_in_both_forms() -> None:
    loop = "Transform: AWS::LanguageExtensions\nResources:\n" + VPC + "  Fn::ForEach::Tables:\n    - T\n    - [A, B]\n" \
           "    - Table${T}: {Type: AWS::DynamoDB::Table}\n"  # fmt: skip
    proposal = to_proposal("cfn", loop, "t.yaml")
    assert (
        "t.yaml:4: Fn::ForEach::Tables: Fn::ForEach (the AWS::LanguageExtensions transform) is not expanded"
        in ("\n".join(proposal["import"]["skipped"]))
    )
    for text in (
        "Resources:\n  Net: {Type: !Rain::Module vpc.yml}\n",
        '{"Resources": {"Net": {"Type": {"Rain::Module": "vpc.yml"}}}}',
    ):
        with pytest.raises(
            InputError, match=r"t\.\w+:\d: resource Net: its Type is a !Rain::Module directive"
        ):
            to_proposal("cfn", text, "t.json" if text.startswith("{") else "t.yaml")

"""Importers: what a CloudFormation template or a Terraform plan turns into, and how it evaluates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.documents import load_yaml
from recommender.errors import DocumentError, InputError
from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, import_sources, to_proposal

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PEERING_NACL_PLAN = HERE / "hcl" / "peering-nacl" / "plan.json"  # generated from its main.tf
CROSS_REGION = {"DataVpcId": "DataVpc", "AppSecurityGroupId": "AppSg", "PeeringId": "ToWest"}


def cfn(name: str, region: str | None = "us-east-1") -> dict[str, Any]:
    return import_source("cfn", str(TEMPLATES / name), region)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def strip_origins(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_origins(v) for k, v in value.items() if k != "origin"}
    if isinstance(value, list):
        return [strip_origins(v) for v in value]
    return value


def evaluated(proposal: dict[str, Any], kb: Any) -> dict[str, Any]:
    return evaluate(load_proposal(proposal), kb)


# ---- CloudFormation: what is imported ---------------------------------------------------------------


def test_cfn_template_becomes_the_expected_topology() -> None:
    proposal = cfn("web-db.yaml")
    topology = strip_origins(proposal["topology"])
    assert topology["vpcs"] == [{"id": "Vpc", "cidr": "10.0.0.0/16", "region": "us-east-1"}]
    # !Select [n, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]] resolved; a default route to the IGW makes a subnet public
    assert topology["subnets"] == [
        {"id": "PublicSubnet", "vpc": "Vpc", "cidr": "10.0.0.0/24", "public": True},
        {"id": "DbSubnet", "vpc": "Vpc", "cidr": "10.0.1.0/24", "public": False},
    ]
    groups = by_id(topology["security_groups"])
    # the parameter DbPort (default 3306) resolved; the standalone ingress resource joined its group
    assert groups["DbSg"]["inbound"] == [
        {"protocol": "tcp", "ports": "3306", "source": "0.0.0.0/0"},
        {"protocol": "tcp", "ports": "3306", "source": "AppSg"},
    ]
    assert groups["AppSg"]["outbound"] == [{"protocol": "all", "ports": "all", "destination": "0.0.0.0/0"}]
    resources = by_id(topology["resources"])
    assert resources["Db"] == {
        "id": "Db", "type": "rds", "engine": "mysql", "port": 3306, "subnet": "PublicSubnet",
        "security_groups": ["DbSg"], "publicly_accessible": True, "stateful": True, "automated_backups": False,
    }  # fmt: skip
    assert resources["App"] == {
        "id": "App",
        "type": "ec2",
        "subnet": "PublicSubnet",
        "security_groups": ["AppSg"],
    }
    assert topology["flows"] == [{"from": "App", "to": "Db", "port": 3306}]
    # !FindInMap [Sizes, !Ref Env, Instance]; BackupRetentionPeriod 0: no backup choice at all
    assert proposal["choices"] == {"instance_type": "m5.large", "connectivity": "same_vpc"}


def test_every_imported_element_points_at_its_line_in_the_template() -> None:
    proposal = cfn("web-db.yaml")
    lines = (TEMPLATES / "web-db.yaml").read_text().splitlines()
    topology = proposal["topology"]
    elements = [*topology["vpcs"], *topology["subnets"], *topology["security_groups"], *topology["resources"]]
    for element in elements:
        origin = element["origin"]
        assert origin["file"] == str(TEMPLATES / "web-db.yaml")
        assert lines[origin["line"] - 1].strip() == f"{origin['logical_id']}:"
    db_rules = by_id(topology["security_groups"])["DbSg"]["inbound"]
    # an inline rule points at its own item; a standalone ingress resource at that resource
    assert [
        (lines[rule["origin"]["line"] - 1].strip(), rule["origin"]["logical_id"]) for rule in db_rules
    ] == [
        ("- IpProtocol: tcp", "DbSg"),
        ("DbFromApp:", "DbFromApp"),
    ]


def test_assumptions_and_skipped_resources_are_listed() -> None:
    report = cfn("open-world.yaml")["import"]
    assert report["source"] == "cloudformation"
    skipped = "\n".join(report["skipped"])
    assert "Queue (AWS::SQS::Queue): resource type not mapped" in skipped
    assert "Bastion: condition WantBastion is false" in skipped
    assert any("names prefix list" in text and "left out" in text for text in report["assumptions"])
    assert "DbWriter: instance of cluster Db" in skipped
    assert any("no traffic flows" in text for text in report["assumptions"])


def test_without_a_region_vpcs_carry_none_and_the_importer_says_so() -> None:
    proposal = cfn("web-db.yaml", region=None)
    assert "region" not in proposal["topology"]["vpcs"][0]
    assert any("region is known only at deploy time" in text for text in proposal["import"]["assumptions"])


def test_unresolvable_values_become_assumptions_not_guesses() -> None:
    text = (
        (TEMPLATES / "web-db.yaml").read_text().replace("CidrBlock: 10.0.0.0/16", "CidrBlock: !Ref VpcCidr")
    )
    text = text.replace("Parameters:\n", "Parameters:\n  VpcCidr:\n    Type: String\n", 1)
    proposal = to_proposal("cloudformation", text, "stack.yaml")
    assert "cidr" not in proposal["topology"]["vpcs"][0]
    assert any(
        "stack.yaml:24: Vpc.CidrBlock left out: parameter VpcCidr has no Default" in text
        for text in proposal["import"]["assumptions"]
    )


def test_choices_come_from_services_clusters_and_backups() -> None:
    proposal = cfn("open-world.yaml")
    assert proposal["choices"] == {
        "orchestrator": "ecs", "launch_type": "fargate", "connectivity": "same_vpc",
        "backup": ["aws_backup", "ebs_snapshots", "rds_automated_backups"],
    }  # fmt: skip
    subnets = by_id(proposal["topology"]["subnets"])
    assert subnets["AppSubnet"]["nat_gateway"] is True and subnets["AppSubnet"]["public"] is False
    database = by_id(proposal["topology"]["resources"])["Db"]
    assert (database["engine"], database["port"]) == ("aurora-postgresql", 5432)


def test_json_template_transit_gateway_vpn_and_network_acl() -> None:
    proposal = cfn("transit.json")
    topology = strip_origins(proposal["topology"])
    assert topology["transit_gateways"] == [
        {"id": "Hub", "attachments": ["VpcApp", "VpcData"], "routes": True}
    ]
    assert topology["vpns"] == [{"id": "OfficeVpn", "vpc": "VpcApp", "on_premises_cidr": "192.168.0.0/16"}]
    assert topology["network_acls"] == [
        {
            "subnet": "SubnetData",
            "inbound": [
                {"rule": 100, "protocol": "tcp", "ports": "5432", "source": "10.1.0.0/16", "action": "allow"}
            ],
            "outbound": [
                {
                    "rule": 100,
                    "protocol": "tcp",
                    "ports": "1024-65535",
                    "destination": "10.1.0.0/16",
                    "action": "allow",
                }
            ],
        }
    ]
    lines = (TEMPLATES / "transit.json").read_text().splitlines()
    hub = proposal["topology"]["transit_gateways"][0]["origin"]
    assert '"Hub"' in lines[hub["line"] - 1]


def test_two_templates_in_two_regions_make_one_proposal() -> None:
    paths = [str(TEMPLATES / "region-east.yaml"), str(TEMPLATES / "region-west.yaml")]
    proposal = import_sources("cfn", paths, ["us-east-1", "eu-west-1"], CROSS_REGION)
    vpcs = by_id(proposal["topology"]["vpcs"])
    assert (vpcs["AppVpc"]["region"], vpcs["DataVpc"]["region"]) == ("us-east-1", "eu-west-1")
    assert strip_origins(proposal["topology"]["peerings"]) == [
        {"id": "ToWest", "vpcs": ["AppVpc", "DataVpc"], "routes": True}
    ]
    assert proposal["import"]["files"] == paths
    west = by_id(proposal["topology"]["security_groups"])["DbSg"]
    assert west["origin"]["file"] == paths[1]


def test_a_peering_to_an_unknown_vpc_is_skipped_and_says_why() -> None:
    proposal = cfn("region-east.yaml")
    assert "peerings" not in proposal["topology"]
    assert "peering ToWest: one of its two VPCs is unknown" in proposal["import"]["skipped"]
    assumptions = "\n".join(proposal["import"]["assumptions"])
    assert "ToWest.PeerVpcId left out: parameter DataVpcId has no Default" in assumptions


def test_a_peering_whose_other_side_has_no_route_tables_in_the_import_has_no_routes() -> None:
    proposal = import_sources(
        "cfn", [str(TEMPLATES / "region-east.yaml")], ["us-east-1"], {"DataVpcId": "vpc-0west"}
    )
    assert proposal["topology"]["peerings"][0]["routes"] is False
    assumptions = "\n".join(proposal["import"]["assumptions"])
    assert "VPC vpc-0west is not part of this source" in assumptions
    assert "peering ToWest: no route table of vpc-0west is part of this source" in assumptions


# ---- malformed input --------------------------------------------------------------------------------


def test_broken_yaml_is_a_document_error_with_its_line() -> None:
    with pytest.raises(DocumentError) as caught:
        to_proposal("cfn", "Resources:\n  Vpc:\n    Type: [AWS::EC2::VPC\n", "broken.yaml")
    assert caught.value.line == 4
    assert str(caught.value).startswith("broken.yaml:4: invalid YAML")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "must be a mapping"),
        ("Description: no resources\n", "not a CloudFormation template"),
        ("Resources:\n  A: !Bogus x\n", "t.yaml:2: resource A: its Type must be a resource type name"),
        ("Resources:\n  A: &x {Type: AWS::EC2::VPC}\n  B: *x\n", "anchors are not accepted"),
    ],
)
def test_templates_that_are_not_templates_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        to_proposal("cfn", text, "t.yaml")


def test_unknown_source_kind_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        to_proposal("pulumi", "{}", "x.json")
    assert "source" in caught.value.errors


# ---- Terraform --------------------------------------------------------------------------------------


def test_terraform_plan_resolves_unknown_ids_through_references() -> None:
    proposal = import_source("terraform", str(PEERING_NACL_PLAN))
    topology = strip_origins(proposal["topology"])
    assert by_id(topology["subnets"])["aws_subnet.data.1"]["vpc"] == "aws_vpc.data"
    groups = by_id(topology["security_groups"])
    assert groups["aws_security_group.db"]["inbound"] == [  # the plan lists the rules by address
        {"protocol": "tcp", "ports": "5432", "source": "0.0.0.0/0"},
        {"protocol": "tcp", "ports": "5432", "source": "aws_security_group.app"},
    ]
    assert groups["aws_security_group.db"]["outbound"] == []  # Terraform drops AWS's default egress rule
    # the ACL references aws_subnet.data[0] only: the whole resource Terraform lists beside it is not taken
    assert [acl["subnet"] for acl in topology["network_acls"]] == ["aws_subnet.data.0"]
    assert topology["peerings"] == [
        {
            "id": "aws_vpc_peering_connection.app_data",
            "vpcs": ["aws_vpc.app", "aws_vpc.data"],
            "routes": False,
        }
    ]
    database = by_id(topology["resources"])["aws_db_instance.orders"]
    assert (database["subnet"], database["security_groups"]) == (
        "aws_subnet.data.0",
        ["aws_security_group.db"],
    )
    assert proposal["choices"]["backup"] == [
        "ebs_snapshots",
        "rds_automated_backups",
    ]  # DLM in a child module
    lines = PEERING_NACL_PLAN.read_text().splitlines()
    origin = by_id(proposal["topology"]["resources"])["aws_db_instance.orders"]["origin"]
    assert '"address": "aws_db_instance.orders"' in lines[origin["line"] - 1]
    assert "aws_s3_bucket.logs: resource type aws_s3_bucket not mapped" in proposal["import"]["skipped"]


def test_terraform_input_that_is_not_a_plan_is_refused() -> None:
    with pytest.raises(DocumentError, match="terraform show -json"):
        to_proposal("terraform", 'resource "aws_vpc" "a" {}', "main.tf")
    with pytest.raises(InputError, match="planned_values"):
        to_proposal("terraform", json.dumps({"format_version": "1.2"}), "state.json")


# ---- evaluation of imported proposals ---------------------------------------------------------------


def findings(result: dict[str, Any]) -> set[str]:
    return {finding["id"] for finding in result["findings"]}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("web-db.yaml", {"sg-open-database-port", "sg-open-admin-port", "db-publicly-accessible",
                         "db-in-public-subnet", "backup-missing"}),
        ("open-world.yaml", {"sg-all-traffic-open", "sg-broad-database-source"}),
        ("overlap.yaml", {"peering-overlapping-cidrs", "flow-unreachable"}),
        ("peering-chain.yaml", {"flow-unreachable"}),
    ],
)  # fmt: skip
def test_imported_templates_raise_the_findings_of_their_flaws(
    template: str, expected: set[str], kb: Any
) -> None:
    result = evaluated(cfn(template), kb)
    assert expected <= findings(result)


def test_finding_locations_point_into_the_template(kb: Any) -> None:
    result = evaluated(cfn("web-db.yaml"), kb)
    text = json.dumps(result)
    assert str(TEMPLATES / "web-db.yaml") in text


@pytest.mark.parametrize(
    ("proposal", "reachable", "words"),
    [
        (lambda: cfn("peering-chain.yaml"), False, ["not transitive"]),
        (lambda: cfn("overlap.yaml"), False, ["overlap"]),
        (lambda: cfn("transit.json"), True, []),
        (lambda: import_source("terraform", str(PEERING_NACL_PLAN)), False, ["no routes"]),
        (
            lambda: import_sources("cfn", [str(TEMPLATES / "region-east.yaml"), str(TEMPLATES / "region-west.yaml")],
                                   ["us-east-1", "eu-west-1"], CROSS_REGION),
            False, ["across regions"],
        ),
    ],
    ids=["non-transitive-peering", "overlapping-peering", "transit-gateway", "peering-without-routes", "cross-region"],
)  # fmt: skip
def test_reachability_of_derived_flows(proposal: Any, reachable: bool, words: list[str], kb: Any) -> None:
    result = evaluated(proposal(), kb)
    (flow,) = result["flows"]
    assert flow["reachable"] is reachable
    for word in words:
        assert word in flow["blocked_by"]


def test_network_acl_without_return_ports_blocks_the_flow(kb: Any) -> None:
    proposal = import_source("terraform", str(PEERING_NACL_PLAN))
    proposal["topology"]["peerings"][0]["routes"] = True  # fix the routes: the ACL is what remains
    (flow,) = evaluated(proposal, kb)["flows"]
    assert flow["reachable"] is False
    assert "aws_subnet.data.0" in flow["blocked_by"] and "1024-65535" in flow["blocked_by"]


def test_profile_added_to_an_import_checks_choices_and_objectives(kb: Any) -> None:
    proposal = cfn("overlap.yaml")
    proposal["profile"] = {
        "network": {"source": {"type": "ec2", "vpc": "VpcA"}, "target": {"type": "rds", "engine": "mysql",
                    "vpc": "VpcB"}, "overlapping_cidrs": True},
        "backup": {"scope": ["databases"], "rpo_minutes": 0, "rto_minutes": 5},
    }  # fmt: skip
    assert {"choice-excluded", "backup-objective-unmet"} <= findings(evaluated(proposal, kb))


# ---- command line -----------------------------------------------------------------------------------


def test_cli_prints_yaml_that_reads_back_as_the_same_proposal(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(TEMPLATES / "transit.json")
    assert main(["import", "cfn", path, "--region", "us-east-1"]) == 0
    printed = capsys.readouterr().out
    assert load_yaml(printed) == import_source(
        "cfn", path, "us-east-1"
    )  # no anchors: our loader refuses them
    assert main(["import", "cfn", path, "--region", "us-east-1", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert main(["import", "cfn", path, "--region", "us-east-1", "--format", "json"]) == 0
    assert capsys.readouterr().out == first  # same input, same bytes


def test_cli_two_regions_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import", "cfn", str(TEMPLATES / "region-east.yaml"), str(TEMPLATES / "region-west.yaml"),
            "--region", "us-east-1", "--region", "eu-west-1", "--format", "json"]  # fmt: skip
    args += [f"--parameter={name}={value}" for name, value in CROSS_REGION.items()]
    assert main(args) == 0
    proposal = json.loads(capsys.readouterr().out)
    assert proposal["topology"]["peerings"][0]["routes"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "cfn", "missing.yaml"], "missing.yaml: cannot read"),
        (["import", "cfn", str(TEMPLATES / "web-db.yaml"), "--parameter", "novalue"], "expected NAME=VALUE"),
        (["import", "cfn", str(TEMPLATES / "web-db.yaml"), str(TEMPLATES / "overlap.yaml"), "--region", "a",
          "--region", "b", "--region", "c"], "one --region for all files or one per file"),
        (["import", "terraform", str(TEMPLATES / "web-db.yaml")], "terraform show -json"),
    ],
)  # fmt: skip
def test_cli_bad_input_exits_2_with_a_reason(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_broken_yaml_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  Vpc: {Type: AWS::EC2::VPC\n")
    with pytest.raises(SystemExit) as caught:
        main(["import", "cfn", str(broken)])
    assert caught.value.code == 2
    assert f"{broken}:3: invalid YAML" in capsys.readouterr().err

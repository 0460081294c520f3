"""One row per knowledge-base rule: a base profile and the change that makes the rule fire.

Each row checks that the rule is absent from the base answer, present after the change (in an option's
rationale or an exclusion), and that it moves the ranking its way: an exclude rule takes `option` out of the
ranking; a score rule moves `option`'s score relative to `other` (or, with no `other`, its own score) in the
direction of the rule's sign. Adding a rule to the knowledge base means adding a row here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from recommender.engine import recommend
from recommender.knowledge import KnowledgeBase, Rule

PLATFORM: dict[str, Any] = {"platform": {}}
PLATFORM_WORKLOAD: dict[str, Any] = {"platform": {}, "workload": {"kind": "web"}}
WORKLOAD: dict[str, Any] = {"workload": {"kind": "web", "vcpus": 2, "memory_gib": 8}}
TWO_VPCS: dict[str, Any] = {
    "network": {
        "source": {"type": "ec2", "vpc": "vpc-app", "region": "us-east-1", "account": "1"},
        "target": {"type": "rds", "engine": "mysql", "vpc": "vpc-db", "region": "us-east-1", "account": "1"},
    }
}
ONE_VPC: dict[str, Any] = {
    "network": {
        "source": {"type": "ec2", "vpc": "vpc-app", "region": "us-east-1", "account": "1"},
        "target": {"type": "rds", "engine": "mysql", "vpc": "vpc-app", "region": "us-east-1", "account": "1"},
    }
}
ON_PREMISES: dict[str, Any] = {
    "network": {
        "source": {"type": "on_premises", "subnet": "dc-10.20.0.0/16"},
        "target": {"type": "rds", "engine": "postgres", "vpc": "vpc-db", "region": "eu-west-1"},
    }
}
VOLUMES: dict[str, Any] = {"backup": {"scope": ["volumes"]}}
DATABASES: dict[str, Any] = {"backup": {"scope": ["databases"]}}
SERVERS: dict[str, Any] = {"backup": {"scope": ["whole_server"]}}


def merged(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def p(section: str, **values: Any) -> dict[str, Any]:
    return {section: values}


def wl(**values: Any) -> dict[str, Any]:
    return {"workload": values}


def net(**values: Any) -> dict[str, Any]:
    return {"network": values}


def bk(**values: Any) -> dict[str, Any]:
    return {"backup": values}


def prio(name: str, level: int) -> dict[str, Any]:
    return {"priorities": {name: level}}


def both(*changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for change in changes:
        out = merged(out, change)
    return out


# (rule id, effect, base profile, change that makes it fire, option it acts on, option it is compared with)
# effect: "out" = the change excludes `option`; "up"/"down" = `option` gains/loses on `other` (or on its own score)
ROWS: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str | None]] = [
    # orchestrator
    ("ORC-001", "up", PLATFORM, p("platform", multi_cloud=True), "eks", "ecs"),
    ("ORC-002", "up", PLATFORM, p("platform", kubernetes_ecosystem=True), "eks", "ecs"),
    ("ORC-003", "up", PLATFORM, p("team", existing_platform="kubernetes"), "eks", "ecs"),
    ("ORC-004", "up", PLATFORM, p("team", existing_platform="ecs"), "ecs", "eks"),
    ("ORC-005", "up", PLATFORM, p("team", kubernetes_experience="expert"), "eks", "ecs"),
    ("ORC-006", "up", PLATFORM, p("team", kubernetes_experience="some"), "eks", "ecs"),
    ("ORC-007", "up", merged(PLATFORM, p("team", kubernetes_experience="some")), p("team", kubernetes_experience="none"), "ecs", "eks"),
    ("ORC-008", "up", PLATFORM, p("team", ops_capacity="minimal"), "ecs", "eks"),
    ("ORC-009", "up", PLATFORM, p("team", ops_capacity="dedicated"), "eks", "ecs"),
    ("ORC-010", "up", merged(PLATFORM, prio("cost", 0)), prio("cost", 5), "ecs", "eks"),
    ("ORC-011", "up", merged(PLATFORM, p("team", existing_platform="kubernetes")), p("team", existing_platform="none"), "ecs", "eks"),
    ("ORC-012", "up", merged(PLATFORM, prio("portability", 0)), prio("portability", 5), "eks", "ecs"),
    ("ORC-013", "up", merged(PLATFORM, prio("simplicity", 0)), prio("simplicity", 5), "ecs", "eks"),
    ("ORC-014", "up", merged(PLATFORM, p("team", kubernetes_experience="expert")), p("platform", on_premises=True), "eks", "ecs"),
    ("ORC-015", "up", PLATFORM, p("platform", on_premises=True), "ecs", "eks"),
    ("ORC-040", "down", PLATFORM_WORKLOAD, wl(os="windows"), "eks", "ecs"),
    # launch type
    ("LCH-001", "out", PLATFORM_WORKLOAD, wl(gpus=1), "fargate", None),
    ("LCH-002", "out", PLATFORM, p("platform", privileged_containers=True), "fargate", None),
    ("LCH-003", "out", PLATFORM, p("platform", node_daemons=True), "fargate", None),
    ("LCH-004", "out", PLATFORM, p("platform", manage_servers="required"), "fargate", None),
    ("LCH-005", "out", PLATFORM_WORKLOAD, wl(vcpus=32, memory_gib=64), "fargate", None),
    ("LCH-006", "out", PLATFORM_WORKLOAD, wl(vcpus=16, memory_gib=200), "fargate", None),
    ("LCH-007", "out", PLATFORM_WORKLOAD, wl(storage="local_nvme"), "fargate", None),
    ("LCH-008", "up", PLATFORM, p("platform", manage_servers="prefer_not"), "fargate", "ec2"),
    ("LCH-009", "up", PLATFORM, p("team", ops_capacity="minimal"), "fargate", "ec2"),
    ("LCH-010", "up", PLATFORM, p("team", ops_capacity="dedicated"), "ec2", "fargate"),
    ("LCH-011", "up", merged(PLATFORM_WORKLOAD, wl(vcpus=16, memory_gib=64)), wl(utilization="variable"), "fargate", "ec2"),
    ("LCH-030", "down", merged(PLATFORM_WORKLOAD, prio("cost", 0)), prio("cost", 5), "fargate", "ec2"),
    ("LCH-040", "out", merged(PLATFORM_WORKLOAD, wl(vcpus=8, memory_gib=16)), wl(os="windows"), "fargate", None),
    ("LCH-041", "out", merged(PLATFORM_WORKLOAD, wl(vcpus=4, memory_gib=32)), wl(os="windows"), "fargate", None),
    ("LCH-042", "up", PLATFORM_WORKLOAD, wl(interruptible=True), "fargate", None),
    ("LCH-043", "up", merged(PLATFORM_WORKLOAD, wl(vcpus=32, memory_gib=128)), wl(interruptible=True), "ec2", None),
    ("LCH-013", "up", merged(PLATFORM, prio("security", 0)), prio("security", 5), "fargate", "ec2"),
    ("LCH-014", "up", merged(PLATFORM, prio("simplicity", 0)), prio("simplicity", 5), "fargate", "ec2"),
    ("LCH-015", "up", merged(PLATFORM, prio("performance", 0)), prio("performance", 5), "ec2", "fargate"),
    ("LCH-016", "up", PLATFORM_WORKLOAD, wl(kind="hpc"), "ec2", "fargate"),
    ("LCH-018", "up", PLATFORM, p("platform", on_premises=True), "ec2", "fargate"),
    ("LCH-017", "up", merged(PLATFORM, p("platform", manage_servers="prefer_not")), p("platform", manage_servers="acceptable"), "ec2", "fargate"),
    # instance family: hard constraints
    ("INS-001", "out", WORKLOAD, wl(gpus=1), "m7i", None),
    ("INS-002", "out", WORKLOAD, wl(vcpus=200), "c7i", None),
    ("INS-003", "out", WORKLOAD, wl(memory_gib=1000), "m7i", None),
    ("INS-004", "out", merged(WORKLOAD, wl(arm64_ok=True)), wl(arm64_ok=False), "m8g", None),
    ("INS-005", "out", merged(WORKLOAD, wl(neuron_ok=True)), wl(neuron_ok=False), "inf2", None),
    ("INS-006", "out", WORKLOAD, wl(free_tier=True), "m8i", None),
    ("INS-007", "out", WORKLOAD, wl(storage="local_nvme"), "m7i", None),
    ("INS-008", "out", WORKLOAD, wl(storage="dense_hdd"), "i4i", None),
    # instance family: kind of workload
    ("INS-010", "up", merged(WORKLOAD, wl(kind="batch")), wl(kind="web"), "m7i", "c7i"),
    ("INS-011", "up", WORKLOAD, wl(kind="batch"), "c7i", "m7i"),
    ("INS-012", "up", merged(WORKLOAD, {"region": "us-east-2", **wl(kind="batch")}), wl(kind="hpc"), "hpc7a", "c7i"),
    ("INS-013", "up", WORKLOAD, wl(kind="relational_db"), "r7i", "m7i"),
    ("INS-014", "up", merged(WORKLOAD, wl(kind="batch")), wl(kind="data_warehouse"), "i4i", "c7i"),
    ("INS-015", "up", merged(WORKLOAD, wl(kind="batch")), wl(kind="data_warehouse"), "r7i", "c7i"),
    ("INS-016", "up", merged(WORKLOAD, wl(kind="batch")), wl(kind="streaming"), "m7i", "c7i"),
    ("INS-017", "up", merged(WORKLOAD, wl(gpus=1)), wl(kind="graphics"), "g6", "p5"),
    ("INS-018", "up", merged(WORKLOAD, wl(gpus=1)), wl(kind="ml_training"), "p5", "g6"),
    ("INS-019", "up", merged(WORKLOAD, wl(gpus=1)), wl(kind="ml_inference"), "g6", "p5"),
    ("INS-020", "up", WORKLOAD, wl(kind="ml_inference"), "c7i", "m7i"),
    ("INS-021", "down", merged(WORKLOAD, wl(kind="graphics", gpus=1)), wl(kind="ml_inference"), "g4ad", "g4dn"),
    ("INS-022", "up", merged(WORKLOAD, wl(kind="ml_inference", gpus=1)), wl(kind="ml_training"), "p5", "p4d"),
    ("INS-023", "up", merged(WORKLOAD, wl(gpus=1, neuron_ok=True)), wl(kind="ml_inference"), "inf2", "g6"),
    ("INS-024", "down", merged(WORKLOAD, wl(gpus=1)), wl(gpus=0), "g6", None),
    # instance family: memory per vCPU
    ("INS-030", "up", WORKLOAD, wl(memory_gib=16), "r7i", "m7i"),
    ("INS-032", "up", WORKLOAD, wl(memory_gib=4), "c7i", "m7i"),
    ("INS-033", "up", merged(WORKLOAD, wl(memory_gib=16)), wl(memory_gib=8), "m7i", "r7i"),
    # instance family: computed from the catalogue (Region offerings, prices)
    ("INS-090", "out", WORKLOAD, {"region": "eu-north-1"}, "r8i", None),
    ("INS-009", "out", merged(WORKLOAD, wl(arm64_ok=True)), wl(os="windows"), "m8g", None),
    ("INS-091", "down", merged(WORKLOAD, prio("cost", 0)), prio("cost", 5), "x2idn", "t3a"),
    # instance family: storage, processor, credits, generation
    ("INS-040", "up", WORKLOAD, wl(storage="local_nvme"), "i4i", "x2idn"),
    ("INS-041", "up", WORKLOAD, wl(storage="dense_hdd"), "d3", None),
    ("INS-042", "down", merged(WORKLOAD, wl(storage="local_nvme")), wl(storage="network"), "i4i", "x2idn"),
    ("INS-050", "up", merged(WORKLOAD, both(wl(arm64_ok=True), prio("performance", 0))), prio("performance", 5), "m8g", "m8i"),
    ("INS-051", "up", WORKLOAD, wl(utilization="mostly_idle"), "t3", "m7i"),
    ("INS-053", "up", merged(WORKLOAD, wl(kind="web", vcpus=1, memory_gib=1)), wl(free_tier=True), "t3", "m7i-flex"),
    ("INS-052", "down", merged(WORKLOAD, wl(utilization="variable")), wl(utilization="steady"), "t3", "m7i"),
    ("INS-060", "up", merged(WORKLOAD, prio("performance", 0)), prio("performance", 5), "m7i", "t3"),
    ("INS-061", "up", merged(WORKLOAD, prio("performance", 0)), prio("performance", 5), "m8i", "m7i"),
    ("INS-062", "up", merged(WORKLOAD, wl(kind="batch", arm64_ok=True)), wl(kind="hpc"), "c7gn", "c7g"),
    ("INS-070", "down", merged(WORKLOAD, wl(vcpus=448, memory_gib=8000)), wl(memory_gib=6000), "u7i-12tb", None),
    ("INS-071", "down", merged(WORKLOAD, wl(vcpus=448, memory_gib=13000)), wl(memory_gib=12000), "u7in-24tb", None),
    ("INS-072", "down", merged(WORKLOAD, wl(vcpus=64, memory_gib=5000)), wl(memory_gib=4000), "u7i-6tb", None),
    # connectivity: hard constraints
    ("NET-001", "out", ONE_VPC, net(source={"vpc": "vpc-other"}), "same_vpc", None),
    ("NET-002", "out", TWO_VPCS, net(source={"type": "on_premises"}), "vpc_peering", None),
    ("NET-003", "out", ON_PREMISES, net(source={"type": "internet"}), "site_to_site_vpn", None),
    ("NET-004", "out", ON_PREMISES, net(source={"type": "ec2"}), "site_to_site_vpn", None),
    ("NET-005", "out", TWO_VPCS, net(source={"vpc": "vpc-db"}), "vpc_peering", None),
    ("NET-006", "out", TWO_VPCS, net(overlapping_cidrs=True), "vpc_peering", None),
    ("NET-007", "out", TWO_VPCS, net(transitive_routing=True), "vpc_peering", None),
    ("NET-008", "out", TWO_VPCS, net(vpc_count=200), "vpc_peering", None),
    ("NET-009", "out", merged(ONE_VPC, net(internet_exposure_allowed=True)), net(internet_exposure_allowed=False), "public_endpoint", None),
    ("NET-010", "out", ON_PREMISES, net(dedicated_link=True), "site_to_site_vpn", None),
    # connectivity: within AWS
    ("NET-020", "up", TWO_VPCS, net(source={"vpc": "vpc-db"}), "same_vpc", None),
    ("NET-021", "up", merged(ONE_VPC, net(internet_exposure_allowed=True)), net(source={"type": "lambda"}), "same_vpc", "public_endpoint"),
    ("NET-022", "up", TWO_VPCS, net(overlapping_cidrs=True), "privatelink", None),
    ("NET-023", "up", TWO_VPCS, net(transitive_routing=True), "transit_gateway", "privatelink"),
    ("NET-024", "up", TWO_VPCS, net(vpc_count=3), "transit_gateway", "privatelink"),
    ("NET-025", "down", TWO_VPCS, net(vpc_count=3), "vpc_peering", "privatelink"),
    ("NET-026", "down", merged(TWO_VPCS, net(vpc_count=10)), net(vpc_count=60), "vpc_peering", "privatelink"),
    ("NET-027", "up", merged(TWO_VPCS, net(vpc_count=3)), net(vpc_count=2), "vpc_peering", "privatelink"),
    ("NET-028", "up", merged(TWO_VPCS, prio("cost", 0)), prio("cost", 5), "vpc_peering", "transit_gateway"),
    ("NET-029", "down", merged(TWO_VPCS, prio("cost", 0)), prio("cost", 5), "transit_gateway", "vpc_peering"),
    ("NET-030", "down", merged(TWO_VPCS, prio("cost", 0)), prio("cost", 5), "privatelink", "vpc_peering"),
    ("NET-031", "up", merged(TWO_VPCS, prio("security", 0)), prio("security", 5), "privatelink", "vpc_peering"),
    ("NET-032", "down", merged(TWO_VPCS, prio("simplicity", 0)), prio("simplicity", 5), "privatelink", "vpc_peering"),
    ("NET-033", "up", TWO_VPCS, net(target={"type": "service"}), "privatelink", "vpc_peering"),
    ("NET-034", "down", TWO_VPCS, net(target={"region": "eu-west-1"}), "transit_gateway", "privatelink"),
    # connectivity: internet and on premises
    ("NET-040", "down", merged(ONE_VPC, both(net(internet_exposure_allowed=True), prio("security", 0))), prio("security", 5), "public_endpoint", "same_vpc"),
    ("NET-041", "up", merged(ON_PREMISES, net(internet_exposure_allowed=True)), net(source={"type": "internet"}), "public_endpoint", None),
    ("NET-050", "up", merged(ON_PREMISES, prio("security", 0)), prio("security", 5), "site_to_site_vpn", "direct_connect"),
    ("NET-051", "up", merged(ON_PREMISES, prio("simplicity", 0)), prio("simplicity", 5), "site_to_site_vpn", "direct_connect"),
    ("NET-052", "up", merged(ON_PREMISES, net(bandwidth_gbps=2)), net(bandwidth_gbps=1), "site_to_site_vpn", "direct_connect"),
    ("NET-053", "up", merged(ON_PREMISES, prio("performance", 0)), prio("performance", 5), "direct_connect", "site_to_site_vpn"),
    ("NET-054", "up", ON_PREMISES, net(dedicated_link=True), "direct_connect", None),
    ("NET-055", "up", ON_PREMISES, net(bandwidth_gbps=2), "direct_connect", "site_to_site_vpn"),
    ("NET-056", "down", ON_PREMISES, net(bandwidth_gbps=2), "site_to_site_vpn", "direct_connect"),
    ("NET-057", "up", merged(ON_PREMISES, net(bandwidth_gbps=2)), net(bandwidth_gbps=10), "direct_connect", "site_to_site_vpn"),
    ("NET-058", "down", merged(ON_PREMISES, net(bandwidth_gbps=2)), net(bandwidth_gbps=10), "site_to_site_vpn", "direct_connect"),
    ("NET-059", "down", ON_PREMISES, net(needed_within_days=7), "direct_connect", "site_to_site_vpn"),
    ("NET-070", "up", ON_PREMISES, net(vpc_count=4), "site_to_site_vpn", None),
    ("NET-071", "down", ON_PREMISES, net(bandwidth_gbps=2), "site_to_site_vpn", "direct_connect"),
    ("NET-072", "up", merged(TWO_VPCS, {"network": {"target": {"account": "2"}}}), prio("security", 5), "privatelink", "vpc_peering"),
    # backup: hard constraints
    ("BAK-001", "out", DATABASES, bk(retention_days=60), "rds_automated_backups", None),
    ("BAK-002", "out", DATABASES, bk(compliance=True), "rds_automated_backups", None),
    ("BAK-003", "out", DATABASES, bk(scope=["volumes"]), "rds_automated_backups", None),
    ("BAK-004", "out", DATABASES, bk(database_service="self_managed"), "rds_automated_backups", None),
    ("BAK-005", "out", VOLUMES, bk(scope=["whole_server"]), "s3_copy", None),
    ("BAK-006", "out", VOLUMES, bk(scope=["files"]), "elastic_disaster_recovery", None),
    ("BAK-007", "out", VOLUMES, bk(scope=["files"]), "ami", None),
    ("BAK-008", "out", merged(DATABASES, bk(scope=["files"])), bk(scope=["databases"]), "ebs_snapshots", None),
    ("BAK-009", "out", VOLUMES, bk(rpo_minutes=30), "ebs_snapshots", None),
    ("BAK-010", "out", VOLUMES, bk(rpo_minutes=30), "aws_backup", None),
    ("BAK-011", "out", {"backup": {"scope": ["databases", "files"], "rpo_minutes": 10}}, bk(rpo_minutes=2), "rds_automated_backups", None),
    # backup: scope
    ("BAK-020", "up", VOLUMES, bk(scope=["whole_server"]), "ami", "ebs_snapshots"),
    ("BAK-021", "up", merged(SERVERS, bk(resource_count=5)), bk(resource_count=2), "ami", "aws_backup"),
    ("BAK-022", "down", SERVERS, bk(resource_count=8), "ami", "aws_backup"),
    ("BAK-023", "up", SERVERS, bk(scope=["whole_server", "volumes"]), "ebs_snapshots", "aws_backup"),
    ("BAK-024", "up", merged(VOLUMES, prio("cost", 0)), prio("cost", 5), "ebs_snapshots", "aws_backup"),
    ("BAK-025", "up", VOLUMES, bk(scope=["files"]), "s3_copy", "aws_backup"),
    ("BAK-026", "down", VOLUMES, bk(scope=["files"]), "ebs_snapshots", "aws_backup"),
    ("BAK-027", "up", merged(VOLUMES, bk(scope=["files"])), bk(retention_days=365), "s3_copy", "ebs_snapshots"),
    ("BAK-028", "up", VOLUMES, bk(scope=["volumes", "databases"]), "rds_automated_backups", None),
    ("BAK-029", "up", merged(DATABASES, prio("simplicity", 0)), prio("simplicity", 5), "rds_automated_backups", "aws_backup"),
    ("BAK-030", "up", VOLUMES, bk(scope=["volumes", "databases"]), "aws_backup", "ebs_snapshots"),
    ("BAK-031", "up", merged(DATABASES, bk(scope=["databases", "files"])), bk(database_service="self_managed"), "aws_backup", "s3_copy"),
    # backup: governance, isolation, retention
    ("BAK-032", "down", DATABASES, bk(scope=["databases", "files"]), "rds_automated_backups", "aws_backup"),
    ("BAK-040", "up", VOLUMES, bk(compliance=True), "aws_backup", "ebs_snapshots"),
    ("BAK-041", "up", VOLUMES, bk(cross_account=True), "aws_backup", "ebs_snapshots"),
    ("BAK-042", "up", VOLUMES, bk(resource_count=12), "aws_backup", "ebs_snapshots"),
    ("BAK-043", "down", merged(VOLUMES, bk(resource_count=2)), bk(resource_count=1), "aws_backup", "ebs_snapshots"),
    ("BAK-044", "up", VOLUMES, bk(retention_days=60), "aws_backup", "ebs_snapshots"),
    ("BAK-045", "up", VOLUMES, bk(cross_region=True), "aws_backup", "ebs_snapshots"),
    ("BAK-046", "up", merged(VOLUMES, prio("security", 0)), prio("security", 5), "aws_backup", "ebs_snapshots"),
    # backup: continuous replication
    ("BAK-050", "up", SERVERS, bk(rpo_minutes=10), "elastic_disaster_recovery", None),
    ("BAK-051", "up", merged(SERVERS, bk(rpo_minutes=30)), bk(cross_region=True), "elastic_disaster_recovery", None),
    ("BAK-052", "down", merged(SERVERS, bk(rpo_minutes=30)), bk(rpo_minutes=120), "elastic_disaster_recovery", None),
    ("BAK-053", "up", SERVERS, bk(rto_minutes=20), "elastic_disaster_recovery", "ami"),
    ("BAK-060", "down", merged(VOLUMES, wl(kind="nosql_db")), wl(storage="local_nvme"), "ebs_snapshots", "s3_copy"),
    ("BAK-061", "up", DATABASES, bk(cross_region=True), "rds_automated_backups", None),
    ("BAK-062", "up", DATABASES, bk(cross_account=True), "aws_backup", None),
    # backup: an earlier decision (decision.launch_type), moved by a platform field
    ("BAK-063", "down", merged(merged(SERVERS, PLATFORM_WORKLOAD), p("platform", manage_servers="required")),
     p("platform", manage_servers="prefer_not"), "ami", "aws_backup"),
]  # fmt: skip


def find_rule(kb: KnowledgeBase, rule_id: str) -> Rule:
    return next(r for d in kb.domains.values() for r in d.all_rules if r.id == rule_id)


def applied(domain_doc: dict[str, Any], option_id: str) -> list[str]:
    """The rules in the option's rationale, or in its exclusion reasons."""
    for option in domain_doc["options"]:
        if option["id"] == option_id:
            return [e["rule"] for e in option["rationale"]]
    for option in domain_doc["excluded"]:
        if option["id"] == option_id:
            return [r["rule"] for r in option["reasons"]]
    raise AssertionError(f"{option_id} is missing from the answer")


def score_of(domain_doc: dict[str, Any], option_id: str) -> float | None:
    """The option's score, or None when it is excluded."""
    return next((o["score"] for o in domain_doc["options"] if o["id"] == option_id), None)


def test_every_rule_has_a_row(kb: KnowledgeBase) -> None:
    in_kb = {r.id for d in kb.domains.values() for r in d.all_rules}
    in_table = [row[0] for row in ROWS]
    assert len(in_table) == len(set(in_table)), "a rule has two rows"
    assert sorted(in_kb - set(in_table)) == [], "rules without a row in test_rules.py"
    assert sorted(set(in_table) - in_kb) == [], "rows for rules that no longer exist"


@pytest.mark.parametrize(
    ("rule_id", "effect", "base", "change", "option", "other"), ROWS, ids=[row[0] for row in ROWS]
)
def test_rule_fires_and_moves_the_ranking(
    kb: KnowledgeBase, rule_id: str, effect: str, base: dict[str, Any], change: dict[str, Any], option: str,
    other: str | None,
) -> None:  # fmt: skip
    rule = find_rule(kb, rule_id)
    assert option in rule.targets
    assert (rule.exclude, rule.score > 0) == {
        "out": (True, False),
        "up": (False, True),
        "down": (False, False),
    }[effect]
    before = recommend(base, kb)["recommendations"][rule.domain]
    after = recommend(merged(base, change), kb)["recommendations"][rule.domain]
    assert rule_id not in applied(before, option), f"the base profile already applies {rule_id} to {option}"
    assert rule_id in applied(after, option), f"the change does not apply {rule_id} to {option}"
    if rule.exclude:
        assert score_of(before, option) is not None, f"{option} is already excluded in the base profile"
        assert score_of(after, option) is None, f"{option} is still ranked"
        return
    was, now = score_of(before, option), score_of(after, option)
    assert now is not None
    if was is None:  # the change also lifted an exclusion: the option enters the ranking
        assert effect == "up"
        return
    if other is not None:
        was_other, now_other = score_of(before, other), score_of(after, other)
        assert was_other is not None and now_other is not None, f"{other} must be ranked before and after"
        was, now = was - was_other, now - now_other
    moved = now - was
    assert moved > 0 if effect == "up" else moved < 0, f"{option} moved {moved:+.2f}, expected {effect}"

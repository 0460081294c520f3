"""DocumentDB, Neptune and ElastiCache are imported as database-like resources (type rds) with their port,
subnet group, security groups and backup settings, from CloudFormation and from Terraform plans alike."""

from __future__ import annotations

from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source, to_proposal
from tests.evaluation.conftest import TODAY
from tests.importers.test_model import HCL

NETWORK = """Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Data: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24}}
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: db, VpcId: !Ref Vpc}}
"""


def cfn(kind: str, subnet_group: str, groups_key: str, **props: Any) -> str:
    extra = "".join(f", {k}: {v}" for k, v in props.items())
    return NETWORK + (
        f"  Group: {{Type: {subnet_group}, Properties: {{Description: d, SubnetIds: [!Ref Data]}}}}\n"
        f"  Db: {{Type: {kind}, Properties: {{{'CacheSubnetGroupName' if 'Cache' in subnet_group or 'ElastiCache' in subnet_group else 'DBSubnetGroupName'}: !Ref Group, {groups_key}: [!Ref Sg]{extra}}}}}\n"
    )  # fmt: skip


DOCDB = ("AWS::DocDB::DBCluster", "AWS::DocDB::DBSubnetGroup", "VpcSecurityGroupIds")
NEPTUNE = ("AWS::Neptune::DBCluster", "AWS::Neptune::DBSubnetGroup", "VpcSecurityGroupIds")
REPLICATION = ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::SubnetGroup", "SecurityGroupIds")
CACHE = ("AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::SubnetGroup", "VpcSecurityGroupIds")


# (case, kind, source, port, stateful, automated_backups (None: not set = on))
CASES: list[tuple[str, str, Any, int, bool, bool | None]] = [
    ("DocumentDB defaults", "cfn", cfn(*DOCDB), 27017, True, None),
    ("DocumentDB without backups", "cfn", cfn(*DOCDB, BackupRetentionPeriod=0, Port=27018), 27018, True, False),
    ("Neptune", "cfn", cfn(*NEPTUNE, BackupRetentionPeriod=7), 8182, True, None),
    ("ElastiCache Redis, no snapshot retention", "cfn", cfn(*REPLICATION, Engine="redis"), 6379, True, False),
    ("ElastiCache Valkey with snapshots", "cfn", cfn(*REPLICATION, Engine="valkey", SnapshotRetentionLimit=5),
     6379, True, None),
    ("ElastiCache Memcached", "cfn", cfn(*CACHE, Engine="memcached", CacheNodeType="cache.t4g.micro"), 11211,
     False, None),
    # the resources of hcl/database-like/plan.json (generated from its main.tf)
    ("aws_docdb_cluster", "terraform", "aws_docdb_cluster.Doc", 27017, True, False),
    ("aws_neptune_cluster", "terraform", "aws_neptune_cluster.Graph", 8182, True, None),
    ("aws_elasticache_replication_group", "terraform", "aws_elasticache_replication_group.Redis", 6380, True,
     None),
    ("aws_elasticache_cluster", "terraform", "aws_elasticache_cluster.Memcached", 11211, False, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "kind", "source", "port", "stateful", "backups"), CASES, ids=[c[0] for c in CASES]
)
def test_database_like_services_are_imported(
    case: str, kind: str, source: Any, port: int, stateful: bool, backups: bool | None, kb: Any
) -> None:
    if kind == "cfn":
        proposal, db_id = to_proposal(kind, source, "t.yaml"), "Db"
    else:
        proposal, db_id = import_source(kind, str(HCL / "database-like" / "plan.json")), source
    db = next(r for r in proposal["topology"]["resources"] if r["id"] == db_id)
    assert db["type"] == "rds" and db["port"] == port and db["stateful"] is stateful
    assert db.get("automated_backups") is backups
    assert db["publicly_accessible"] is False  # none of these services has a public endpoint
    assert db["subnet"].lower().endswith("data") and [g.lower()[-2:] for g in db["security_groups"]] == ["sg"]
    assert "modelled as a database" in db["description"]
    result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb, today=TODAY)
    missing = {f["resource"] for f in result["findings"] if f["id"] == "backup-missing"}
    assert (db["id"] in missing) is (backups is False)

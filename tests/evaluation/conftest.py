from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from recommender.evaluation import evaluate, load_proposal
from recommender.knowledge import KnowledgeBase

TODAY = date(2026, 11, 26)

# A small valid proposal the tests change one thing at a time: app (ec2) -> db (MySQL) in one VPC.
BASE: dict[str, Any] = {
    "name": "base",
    "choices": {"backup": ["rds_automated_backups"]},
    "topology": {
        "vpcs": [{"id": "vpc-main", "cidr": "10.0.0.0/16", "region": "us-east-1"}],
        "subnets": [
            {"id": "subnet-app", "vpc": "vpc-main", "cidr": "10.0.1.0/24"},
            {"id": "subnet-db", "vpc": "vpc-main", "cidr": "10.0.2.0/24"},
        ],
        "security_groups": [
            {"id": "sg-app", "vpc": "vpc-main", "inbound": []},
            {"id": "sg-db", "vpc": "vpc-main", "inbound": [{"protocol": "tcp", "ports": "3306", "source": "sg-app"}]},
        ],
        "resources": [
            {"id": "app", "type": "ec2", "subnet": "subnet-app", "security_groups": ["sg-app"]},
            {"id": "db", "type": "rds", "engine": "mysql", "port": 3306, "subnet": "subnet-db",
             "security_groups": ["sg-db"]},
        ],
        "flows": [{"from": "app", "to": "db", "port": 3306}],
    },
}  # fmt: skip


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def group(doc: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next(g for g in doc["topology"]["security_groups"] if g["id"] == group_id)


def run(doc: dict[str, Any], kb: KnowledgeBase, today: date = TODAY) -> dict[str, Any]:
    return evaluate(load_proposal(doc, finding_ids=kb.findings), kb, today=today)


def ids(result: dict[str, Any]) -> set[str]:
    return {f["id"] for f in result["findings"]}


@pytest.fixture
def evaluate_doc(kb: KnowledgeBase) -> Any:
    return lambda doc, today=TODAY: run(doc, kb, today)

"""A cache run on its own instances is sized with the memory headroom the knowledge base gives its kind, says
so in `assumptions`, and names the managed alternative; a database names its managed alternatives."""

from __future__ import annotations

from typing import Any

from recommender.engine import recommend
from recommender.knowledge import load_knowledge

KB = load_knowledge()


def answer(kind: str, memory: float, dataset: float = 0) -> dict[str, Any]:
    workload = {"kind": kind, "vcpus": 4, "memory_gib": memory, "dataset_gib": dataset}
    return recommend({"workload": workload, "platform": {}}, KB)


def test_a_cache_is_sized_for_its_data_plus_25_percent() -> None:
    cache, web = answer("in_memory_cache", 8, dataset=30), answer("api", 30, dataset=30)
    # 30 GiB of cache data needs 40 GiB of instance memory: a 64 GiB size where 32 GiB would do for an API
    cache_size = cache["recommendations"]["instance_family"]["options"][0]["suggested_instance_type"]
    assert cache_size["memory_gib"] >= 40
    memory = [a for a in cache["assumptions"] if a["field"] == "workload.memory_gib"]
    assert memory == [{"field": "workload.memory_gib", "value": 40.0, "reason": memory[0]["reason"]}]
    assert "25% headroom" in memory[0]["reason"] and "reserved-memory-percent" in memory[0]["reason"]
    fargate = next(o for o in cache["recommendations"]["launch_type"]["options"] if o["id"] == "fargate")
    assert "40 GiB" in fargate["cost"]["basis"] or "/ 60 GB" in fargate["cost"]["basis"]
    assert not [
        a for a in web["assumptions"] if a["field"] == "workload.memory_gib"
    ]  # no headroom for an API
    # without a data set, memory_gib is the instance's memory (as AWS's own cache example sizes it)
    plain = answer("in_memory_cache", 32)["recommendations"]["instance_family"]["options"][0]
    assert plain["suggested_instance_type"]["memory_gib"] == 32
    api_size = web["recommendations"]["instance_family"]["options"][0]["suggested_instance_type"]
    assert api_size["memory_gib"] < cache_size["memory_gib"]


def test_self_managed_data_stores_name_the_managed_services() -> None:
    findings = {f["id"]: f for f in answer("in_memory_cache", 8)["findings"]}
    assert "ElastiCache" in findings["self-managed-cache"]["remediation"]
    assert "MemoryDB" in findings["self-managed-cache"]["remediation"]
    for kind in ("relational_db", "nosql_db"):
        database = {f["id"]: f for f in answer(kind, 8)["findings"]}
        assert "Amazon RDS or Aurora" in database["self-managed-database"]["remediation"]
        assert "self-managed-cache" not in database
    assert not answer("web", 8)["findings"]

"""Real CloudFormation templates nobody here wrote (tests/importers/corpus, sources in SOURCES.md): each is
evaluated, or refused with a reason naming the file and what is unsupported; none crashes, and none is
refused because of the importer's own output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.errors import InputError, ProposalError
from recommender.evaluation import evaluate, load_proposal
from recommender.importers import import_source

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".json"))


def outcome(path: Path, kb: Any) -> tuple[str, Any]:
    try:
        proposal = import_source("cfn", str(path))
    except InputError as exc:
        return "refused", exc
    try:
        return "evaluated", evaluate(load_proposal(proposal, finding_ids=kb.findings), kb)
    except ProposalError as exc:  # the importer produced something the contract refuses: a bug
        return "invalid", exc


def test_the_corpus_is_the_one_its_sources_list() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    assert len(FILES) >= 20
    assert all(f"`{path.name}`" in sources for path in FILES)
    assert "Apache-2.0" in sources


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_template_is_evaluated_or_refused_with_a_reason(path: Path, kb: Any) -> None:
    kind, value = outcome(path, kb)
    assert kind in ("evaluated", "refused"), value
    if kind == "refused":
        assert value.detail.startswith(f"{path}:") and "resource" in value.detail


def test_at_least_nine_in_ten_reach_a_verdict(kb: Any) -> None:
    evaluated = [path.name for path in FILES if outcome(path, kb)[0] == "evaluated"]
    assert len(evaluated) / len(FILES) >= 0.9, sorted({p.name for p in FILES} - set(evaluated))


@pytest.mark.parametrize(
    ("name", "resource", "finding"),
    [
        # SSHLocation defaults to 192.168.1.0/0: the whole internet, in the default VPC
        ("EC2_EC2InstanceWithSecurityGroupSample.yaml", "InstanceSecurityGroup", "sg-open-admin-port"),
        ("EC2_EC2InstanceWithSecurityGroupSample.json", "InstanceSecurityGroup", "sg-open-admin-port"),
        (
            "DMS_DMSAuroraToS3FullLoadAndOngoingReplication.yaml",
            "AuroraSecurityGroup",
            "sg-open-database-port",
        ),
    ],
)
def test_world_open_verdicts_on_real_templates(name: str, resource: str, finding: str, kb: Any) -> None:
    kind, result = outcome(CORPUS / name, kb)
    assert kind == "evaluated"
    assert (finding, resource) in {(f["id"], f["resource"]) for f in result["findings"]}


@pytest.mark.parametrize(
    "name",
    [
        "ElasticLoadBalancing_ELBWithLockedDownAutoScaledInstances.yaml",  # a launch configuration
        "AutoScaling_AutoScalingRollingUpdates.yaml",  # a launch template naming a group defined after it
    ],
)
def test_an_elb_in_front_of_an_auto_scaling_group_is_checked_end_to_end(name: str, kb: Any) -> None:
    kind, result = outcome(CORPUS / name, kb)
    assert kind == "evaluated"
    flows = {(f["from"], f["to"], f["port"]): f["reachable"] for f in result["flows"]}
    assert flows == {
        ("internet", "ElasticLoadBalancer", 80): True,
        ("ElasticLoadBalancer", "WebServerGroup", 80): True,
    }

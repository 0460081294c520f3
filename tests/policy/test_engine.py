"""What each policy key does to an answer (shared/spec/policy.md), and what it cannot do: lift a hard AWS
constraint. Additivity and determinism hold with a policy loaded; without one nothing changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recommender import recommend
from recommender.cli import main
from recommender.errors import ProfileError
from recommender.knowledge import KnowledgeBase
from recommender.policy import apply_policy, load_policy
from recommender.serialize import to_json
from tests.policy.conftest import EXAMPLE, write_policy

HEAD = "policy: acme\nversion: '1'\n"
PROFILE: dict[str, Any] = {
    "region": "eu-west-1",
    "priorities": {"security": 2},
    "platform": {},
    "network": {"source": {"type": "container", "vpc": "app"}, "target": {"type": "rds", "vpc": "data", "engine": "postgres"}},
    "backup": {"scope": ["volumes", "databases"]},
}  # fmt: skip


def answer(
    kb: KnowledgeBase, body: str | None, tmp_path: Path, profile: dict[str, Any] = PROFILE
) -> dict[str, Any]:
    if body is not None:
        kb = apply_policy(kb, load_policy(write_policy(tmp_path, HEAD + body), kb))
    return recommend(profile, kb)


def options(result: dict[str, Any], domain: str) -> list[str]:
    return [o["id"] for o in result["recommendations"][domain]["options"]]


def policy_entries(result: dict[str, Any], domain: str, option: str) -> list[dict[str, Any]]:
    answer = result["recommendations"][domain]
    for entry in answer["options"]:
        if entry["id"] == option:
            return [r for r in entry["rationale"] if r.get("origin") == "policy"]
    for entry in answer["excluded"]:
        if entry["id"] == option:
            return [r for r in entry["reasons"] if r.get("origin") == "policy"]
    return []


def test_disallowed_excludes_with_the_policy_reason_and_link(kb: KnowledgeBase, tmp_path: Path) -> None:
    before = answer(kb, None, tmp_path)
    assert "ecs" in options(before, "orchestrator")
    after = answer(kb, "domains:\n  orchestrator:\n    disallowed:\n"
                   "      - {option: ecs, reason: One platform., link: 'https://wiki.acme.example/k8s'}\n", tmp_path)  # fmt: skip
    assert "ecs" not in options(after, "orchestrator")
    assert policy_entries(after, "orchestrator", "ecs") == [
        {"rule": "POL-disallowed-ecs", "reason": "One platform.", "sources": ["https://wiki.acme.example/k8s"],
         "origin": "policy"}
    ]  # fmt: skip


def test_preferred_adds_its_points_as_a_policy_entry(kb: KnowledgeBase, tmp_path: Path) -> None:
    before = answer(kb, None, tmp_path)
    after = answer(
        kb,
        "domains:\n  orchestrator:\n    preferred:\n      - {option: eks, score: 8, reason: We run EKS.}\n",
        tmp_path,
    )
    score = {o["id"]: o["score"] for o in before["recommendations"]["orchestrator"]["options"]}
    new = {o["id"]: o["score"] for o in after["recommendations"]["orchestrator"]["options"]}
    assert new["eks"] == pytest.approx(score["eks"] + 8) and new["ecs"] == score["ecs"]
    assert policy_entries(after, "orchestrator", "eks") == [
        {
            "rule": "POL-preferred-eks",
            "impact": 8.0,
            "reason": "We run EKS.",
            "sources": [],
            "origin": "policy",
        }
    ]


def test_preferred_never_revives_an_option_a_hard_constraint_excluded(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    gpu = {"platform": {}, "workload": {"kind": "ml_training", "vcpus": 8, "memory_gib": 64, "gpus": 1}}
    result = answer(kb, "domains:\n  launch_type:\n    preferred:\n      - {option: fargate, score: 100, reason: r}\n",
                    tmp_path, gpu)  # fmt: skip
    assert options(result, "launch_type") == ["ec2"]
    assert [e["id"] for e in result["recommendations"]["launch_type"]["excluded"]] == ["fargate"]


def test_required_goes_first_through_a_policy_entry(kb: KnowledgeBase, tmp_path: Path) -> None:
    k8s = {"platform": {"kubernetes_ecosystem": True}, "team": {"kubernetes_experience": "expert"}}
    assert options(answer(kb, None, tmp_path, k8s), "orchestrator")[0] == "eks"
    result = answer(
        kb,
        "domains:\n  orchestrator:\n    required:\n      - {option: ecs, reason: ECS only.}\n",
        tmp_path,
        k8s,
    )
    assert options(result, "orchestrator")[0] == "ecs"
    (entry,) = policy_entries(result, "orchestrator", "ecs")
    assert entry["rule"] == "POL-required-ecs" and entry["impact"] > 0


def test_required_backup_is_in_the_plan_when_its_condition_holds(kb: KnowledgeBase, tmp_path: Path) -> None:
    body = ("domains:\n  backup:\n    required:\n      - option: elastic_disaster_recovery\n        reason: DR drills.\n"
            "        when: {field: backup.scope, op: contains, value: databases}\n")  # fmt: skip
    plan = answer(kb, body, tmp_path)["recommendations"]["backup"]["plan"]
    assert "elastic_disaster_recovery" in plan["options"]
    assert plan["required"][0]["origin"] == "policy"
    volumes = {**PROFILE, "backup": {"scope": ["volumes"]}}
    plan = answer(kb, body, tmp_path, volumes)["recommendations"]["backup"]["plan"]
    assert "elastic_disaster_recovery" not in plan["options"] and "required" not in plan


def test_a_policy_rule_scores_in_its_domain(kb: KnowledgeBase, tmp_path: Path) -> None:
    body = ("rules:\n  - {id: POL-001, domain: launch_type, options: [ec2], score: 5, priority: fit, reason: Our AMIs.,"
            " sources: ['https://wiki.acme.example/ami']}\n")  # fmt: skip
    result = answer(kb, body, tmp_path)
    assert policy_entries(result, "launch_type", "ec2") == [
        {"rule": "POL-001", "impact": 5.0, "reason": "Our AMIs.", "sources": ["https://wiki.acme.example/ami"],
         "origin": "policy"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "profile", "expected"),
    [
        (
            "priorities:\n  floors: {security: 4}\n",
            {"priorities": {"security": 2}},
            ("priorities.security", 4),
        ),
        ("priorities:\n  floors: {security: 4}\n", {"priorities": {"security": 5}}, None),
        ("priorities:\n  defaults: {cost: 5}\n", {}, ("priorities.cost", 5)),
        ("priorities:\n  defaults: {cost: 5}\n", {"priorities": {"cost": 1}}, None),
    ],
)
def test_priority_floors_and_defaults_are_listed_in_assumptions(
    kb: KnowledgeBase, tmp_path: Path, body: str, profile: dict[str, Any], expected: tuple[str, int] | None
) -> None:
    result = answer(kb, body, tmp_path, {**profile, "platform": {}})
    policy = [(a["field"], a["value"]) for a in result["assumptions"] if a.get("origin") == "policy"]
    assert policy == ([expected] if expected else [])
    if expected:  # the profile's own default of that field is replaced, not listed twice
        assert [a["field"] for a in result["assumptions"]].count(expected[0]) == 1


def test_a_region_outside_the_policy_is_refused_naming_it(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        answer(kb, "regions: {allowed: [eu-west-1]}\n", tmp_path, {"region": "us-east-1", "platform": {}})
    assert "policy acme 1" in caught.value.errors["region"][0]


def test_a_profile_naming_no_region_gets_the_first_allowed(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = answer(kb, "regions: {allowed: [eu-west-1, eu-central-1]}\n", tmp_path, {"platform": {}})
    (region,) = [a for a in result["assumptions"] if a["field"] == "region"]
    assert region["value"] == "eu-west-1" and region["origin"] == "policy"


def test_additivity_and_determinism_with_a_policy(policy_kb: KnowledgeBase) -> None:
    first, second = to_json(recommend(PROFILE, policy_kb)), to_json(recommend(PROFILE, policy_kb))
    assert first == second
    result = json.loads(first)
    assert result["knowledge_base"]["policy"]["name"] == "acme-platform"
    for domain in result["recommendations"].values():
        for option in domain["options"]:
            assert option["score"] == pytest.approx(
                option["base"] + sum(r["impact"] for r in option["rationale"])
            )


def test_no_policy_leaves_the_knowledge_base_as_it_is(kb: KnowledgeBase) -> None:
    assert apply_policy(kb, None) is kb
    assert "policy" not in recommend(PROFILE, kb)["knowledge_base"]


def test_cli_region_outside_exits_2_and_diff_shows_a_policy_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({**PROFILE, "region": "us-east-1"}))
    with pytest.raises(SystemExit) as exited:
        main(["recommend", str(profile), "--policy", str(EXAMPLE)])
    assert exited.value.code == 2
    assert "not allowed by policy acme-platform" in capsys.readouterr().err
    profile.write_text(json.dumps(PROFILE))
    empty = write_policy(tmp_path, "policy: acme-platform\nversion: '0'\n", "empty.yaml")
    code = main(
        [
            "diff",
            "--policy",
            str(empty),
            "--policy",
            str(EXAMPLE),
            str(profile),
            "--format",
            "json",
            "--exit-code",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["winner_changed"]
    assert result["after"]["knowledge_base"]["policy"]["version"] == "2026.12.1"


def test_table_and_decision_record_name_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    for fmt in ("table", "adr", "markdown"):
        assert main(["recommend", str(profile), "--policy", str(EXAMPLE), "--format", fmt]) == 0
        assert "acme-platform 2026.12.1" in capsys.readouterr().out, fmt


def test_the_readme_example_is_a_valid_policy(kb: KnowledgeBase, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Organisation policies") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)]
    policy = load_policy(write_policy(tmp_path, block), kb)
    assert policy.name == "acme-platform" and policy.overrides["backup-missing"].suppress


def test_tipping_points_under_a_policy_do_not_depend_on_what_was_answered_before(kb: KnowledgeBase) -> None:
    """A policy adds rules to the domains and keeps the knowledge base's digest: the search must not reuse
    what it worked out for the knowledge base without the policy (or the reverse)."""
    from recommender.explain import levers as levers_module

    with_policy = apply_policy(kb, load_policy(EXAMPLE, kb))
    levers_module._LEVERS.clear()
    first = to_json(recommend(PROFILE, with_policy, explain="changes"))
    levers_module._LEVERS.clear()
    recommend(PROFILE, kb, explain="changes")
    assert to_json(recommend(PROFILE, with_policy, explain="changes")) == first

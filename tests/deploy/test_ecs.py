"""The ECS/AWS JSON of deploy/ecs: valid API inputs, and what a reviewer checks before running them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from api import create_app, gunicorn_conf
from tests.deploy.deployables import ECS, container, load_json

CONTAINER_PORT = 8080


@pytest.fixture(scope="module")
def task() -> dict[str, Any]:
    return load_json("task-definition.json")


@pytest.fixture(scope="module")
def app_container(task: dict[str, Any]) -> dict[str, Any]:
    definitions = task["containerDefinitions"]
    assert [c["name"] for c in definitions] == ["recommender"]
    return definitions[0]


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    return load_json("service.json")


@pytest.fixture(scope="module")
def groups() -> dict[str, Any]:
    return load_json("security-groups.json")


def group_ids(groups: dict[str, Any]) -> tuple[str, str]:
    """(load balancer's group, service's group): the ALB's is the one opened on 443."""
    ingress = {call["GroupId"]: call["IpPermissions"] for call in groups["AuthorizeSecurityGroupIngress"]}
    alb = next(gid for gid, perms in ingress.items() if any(p["FromPort"] == 443 for p in perms))
    (service,) = set(ingress) - {alb}
    return alb, service


def test_every_file_is_a_valid_api_input(validate_deploy: Any) -> None:
    assert validate_deploy.ecs_problems() == []


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("service.json", {"launchType": "FARGATE_X"}, "launchType: 'FARGATE_X' is not one of EC2, FARGATE"),
        ("service.json", {"desiredCount": "3"}, "Invalid type for parameter desiredCount"),
        (
            "service.json",
            {"deploymentCircuitBreaker": {}},
            'Unknown parameter in input: "deploymentCircuitBreaker"',
        ),
        ("task-definition.json", {"memory": "3072"}, "memory 3072 MiB is not valid with cpu 2048 on Fargate"),
        ("task-definition.json", {"cpu": "3000"}, "cpu 3000 is not a Fargate size"),
    ],
)
def test_validation_names_what_aws_would_refuse(
    validate_deploy: Any, tmp_path: Path, file: str, change: dict[str, Any], message: str
) -> None:
    copy = tmp_path / "ecs"
    shutil.copytree(ECS, copy, ignore=shutil.ignore_patterns("*.yaml"))
    document = json.loads((copy / file).read_text())
    (copy / file).write_text(json.dumps({**document, **change}))
    problems = validate_deploy.ecs_problems(copy)
    assert len(problems) == 1 and message in problems[0], problems


@pytest.mark.parametrize(
    ("cpu", "memory", "valid"),
    [("256", "512", True), ("256", "1536", False), ("1024", "8192", True), ("1024", "9216", False),
     ("4096", "30720", True), ("8192", "20480", True), ("8192", "18432", False), ("16384", "122880", True)],
)  # fmt: skip
def test_fargate_sizes_follow_the_aws_table(validate_deploy: Any, cpu: str, memory: str, valid: bool) -> None:
    assert (validate_deploy.fargate_size_problems({"cpu": cpu, "memory": memory}) == []) is valid


def test_task_runs_unprivileged_on_a_read_only_root(
    task: dict[str, Any], app_container: dict[str, Any]
) -> None:
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    user = app_container["user"].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert app_container["readonlyRootFilesystem"] is True
    assert app_container["privileged"] is False
    assert app_container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    mounts = {m["containerPath"]: m for m in app_container["mountPoints"]}
    assert mounts["/tmp"]["readOnly"] is False
    assert "taskRoleArn" not in task, "the service calls no AWS API: no task role"


def test_health_check_asks_healthz_on_the_container_port(app_container: dict[str, Any]) -> None:
    command = app_container["healthCheck"]["command"]
    assert command[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{CONTAINER_PORT}/healthz" in command[3]
    assert [p["containerPort"] for p in app_container["portMappings"]] == [CONTAINER_PORT]


def test_settings_are_accepted_by_the_service_and_keys_come_from_secrets_manager(
    app_container: dict[str, Any],
) -> None:
    env = {e["name"]: e["value"] for e in app_container["environment"]}
    assert "RECOMMENDER_API_KEYS" not in env
    (secret,) = app_container["secrets"]
    assert secret["name"] == "RECOMMENDER_API_KEYS"
    assert secret["valueFrom"].startswith("arn:aws:secretsmanager:")
    app = create_app(env)  # unknown names and bad values raise ConfigError
    assert app.config["RECOMMENDER_BIND"] == f"0.0.0.0:{CONTAINER_PORT}"


def test_stop_timeout_lets_gunicorn_finish_in_flight_requests(app_container: dict[str, Any]) -> None:
    assert gunicorn_conf.graceful_timeout < app_container["stopTimeout"] <= 120


def test_logs_go_to_cloudwatch_without_blocking_requests(app_container: dict[str, Any]) -> None:
    logging = app_container["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["mode"] == "non-blocking"


def test_service_runs_in_private_subnets_behind_the_target_group(
    service: dict[str, Any], app_container: dict[str, Any]
) -> None:
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED"
    assert len(network["subnets"]) >= 2, "tasks in at least two availability zones"
    (balancer,) = service["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == (app_container["name"], CONTAINER_PORT)
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert service["healthCheckGracePeriodSeconds"] > 0
    assert service["enableExecuteCommand"] is False


def test_service_group_admits_only_the_load_balancer_group(
    groups: dict[str, Any], service: dict[str, Any]
) -> None:
    alb, tasks = group_ids(groups)
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [tasks]
    (call,) = [c for c in groups["AuthorizeSecurityGroupIngress"] if c["GroupId"] == tasks]
    for permission in call["IpPermissions"]:
        assert not permission.get("IpRanges") and not permission.get("Ipv6Ranges"), "never a CIDR"
        assert not permission.get("PrefixListIds")
        assert [pair["GroupId"] for pair in permission["UserIdGroupPairs"]] == [alb]
        assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == ("tcp", 8080, 8080)


def test_load_balancer_group_opens_only_https(groups: dict[str, Any]) -> None:
    alb, tasks = group_ids(groups)
    (call,) = [c for c in groups["AuthorizeSecurityGroupIngress"] if c["GroupId"] == alb]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in call["IpPermissions"]] == [
        ("tcp", 443, 443)
    ]
    (egress,) = [c for c in groups["AuthorizeSecurityGroupEgress"] if c["GroupId"] == alb]
    assert [pair["GroupId"] for p in egress["IpPermissions"] for pair in p["UserIdGroupPairs"]] == [tasks]
    revoked = {c["GroupId"] for c in groups["RevokeSecurityGroupEgress"]}
    assert revoked == {alb, tasks}, "the default allow-all egress is removed from both groups"


def test_target_group_checks_readiness_on_the_container_port() -> None:
    target_group = load_json("target-group.json")["CreateTargetGroup"]
    assert target_group["TargetType"] == "ip", "awsvpc tasks register by IP"
    assert target_group["Port"] == CONTAINER_PORT
    assert target_group["HealthCheckPath"] == "/readyz"


def test_autoscaling_targets_this_service_on_cpu_and_requests(service: dict[str, Any]) -> None:
    scaling = load_json("autoscaling.json")
    resource = f"service/{service['cluster']}/{service['serviceName']}"
    target = scaling["RegisterScalableTarget"]
    assert target["ResourceId"] == resource
    assert target["MinCapacity"] <= service["desiredCount"] <= target["MaxCapacity"]
    metrics = {}
    for policy in scaling["PutScalingPolicy"]:
        assert policy["ResourceId"] == resource and policy["PolicyType"] == "TargetTrackingScaling"
        spec = policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
        metrics[spec["PredefinedMetricType"]] = spec
    assert set(metrics) == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    target_group = service["loadBalancers"][0]["targetGroupArn"].split(":")[-1]
    assert metrics["ALBRequestCountPerTarget"]["ResourceLabel"].endswith("/" + target_group)


def test_kubernetes_and_ecs_run_the_same_image(
    rendered: dict[str, Any], app_container: dict[str, Any]
) -> None:
    assert container(rendered["prod"])["image"] == app_container["image"]

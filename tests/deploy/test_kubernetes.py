"""What a reviewer checks in the Kubernetes manifests, on every overlay as kustomize renders it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from api import create_app, gunicorn_conf
from recommender.knowledge import load_knowledge
from tests.deploy.deployables import KUBERNETES, OVERLAYS, ROOT, container, one, render

Documents = list[dict[str, Any]]
CONTAINER_PORT = 8080


def env_of(documents: Documents) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(documents).get("env", []) if "value" in e}


def pod_labels(documents: Documents) -> dict[str, str]:
    return one(documents, "Deployment")["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are expected here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_every_overlay_is_covered() -> None:
    assert {"dev", "prod", "custom-knowledge", "organisation-policy"} <= set(OVERLAYS)


@pytest.mark.parametrize("version", ["1.30.0", "1.37.0"])
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_manifests_are_valid_kubernetes(
    rendered: dict[str, Documents], overlay: str, version: str
) -> None:
    for document in rendered[overlay]:
        kubernetes_validate.validate(document, version, strict=True)


def test_strict_validation_rejects_a_misspelt_field(rendered: dict[str, Documents]) -> None:
    deployment = one(rendered["prod"], "Deployment")
    context = deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    context["readOnlyRootFileSystem"] = context.pop("readOnlyRootFilesystem")
    try:
        with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFileSystem"):
            kubernetes_validate.validate(deployment, "1.30.0", strict=True)
    finally:
        context["readOnlyRootFilesystem"] = context.pop("readOnlyRootFileSystem")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pod_runs_unprivileged_on_a_read_only_root(rendered: dict[str, Documents], overlay: str) -> None:
    pod = one(rendered[overlay], "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for spec in pod["containers"] + pod.get("initContainers", []):
        context = spec["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context.get("privileged", False) is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert "add" not in context["capabilities"]
    tmp = next(m for m in container(rendered[overlay])["volumeMounts"] if m["mountPath"] == "/tmp")
    volume = next(v for v in pod["volumes"] if v["name"] == tmp["name"])
    assert "emptyDir" in volume, "/tmp, the only writable path, is an emptyDir"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_hit_health_endpoints_on_the_container_port(
    rendered: dict[str, Documents], overlay: str
) -> None:
    spec = container(rendered[overlay])
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"http": CONTAINER_PORT}
    expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in expected.items():
        get = spec[probe]["httpGet"]
        assert get["path"] == path, probe
        assert ports.get(get["port"], get["port"]) == CONTAINER_PORT, probe
    assert env_of(rendered[overlay])["RECOMMENDER_BIND"] == f"0.0.0.0:{CONTAINER_PORT}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(rendered: dict[str, Documents], overlay: str) -> None:
    resources = container(rendered[overlay])["resources"]
    for section in ("requests", "limits"):
        assert set(resources[section]) == {"cpu", "memory"}, section


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_termination_waits_for_endpoint_drain_and_graceful_shutdown(
    rendered: dict[str, Documents], overlay: str
) -> None:
    grace = one(rendered[overlay], "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    drain = container(rendered[overlay])["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert drain >= 5, "endpoint removal needs a few seconds to reach kube-proxy and the ingress"
    assert grace > drain + gunicorn_conf.graceful_timeout, "SIGKILL would cut in-flight requests"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_hpa_pdb_and_network_policy_all_aim_at_the_pods(
    rendered: dict[str, Documents], overlay: str
) -> None:
    documents = rendered[overlay]
    labels = pod_labels(documents)
    service = one(documents, "Service")
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert selects(one(documents, "PodDisruptionBudget")["spec"]["selector"], labels)
    assert selects(one(documents, "NetworkPolicy")["spec"]["podSelector"], labels)
    target = one(documents, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (
        "Deployment",
        one(documents, "Deployment")["metadata"]["name"],
    )
    assert "replicas" not in one(documents, "Deployment")["spec"], "the HPA owns the replica count"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policy_admits_only_labelled_namespaces_and_allows_no_egress(
    rendered: dict[str, Documents], overlay: str
) -> None:
    policy = one(rendered[overlay], "NetworkPolicy")["spec"]
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    assert policy["egress"] == []
    assert policy["ingress"], "no ingress rule would cut the ingress controller off too"
    for rule in policy["ingress"]:
        assert all("ipBlock" not in peer and "namespaceSelector" in peer for peer in rule["from"])
        assert [p["port"] for p in rule["ports"]] == ["http"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_spread_across_zones_and_nodes(rendered: dict[str, Documents], overlay: str) -> None:
    constraints = one(rendered[overlay], "Deployment")["spec"]["template"]["spec"][
        "topologySpreadConstraints"
    ]
    assert {c["topologyKey"] for c in constraints} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    assert all(selects(c["labelSelector"], pod_labels(rendered[overlay])) for c in constraints)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_in_the_manifests_is_one_the_service_accepts(
    rendered: dict[str, Documents], overlay: str
) -> None:
    env = env_of(rendered[overlay])
    assert all(name.startswith("RECOMMENDER_") for name in env)
    secret = next(e for e in container(rendered[overlay])["env"] if e["name"] == "RECOMMENDER_API_KEYS")
    assert "secretKeyRef" in secret["valueFrom"], "API keys come from a Secret, never a literal"
    env.pop("RECOMMENDER_KNOWLEDGE_PATH", None)  # a path inside the pod; checked by the custom-knowledge test
    env.pop("RECOMMENDER_POLICY_PATH", None)  # a path inside the pod; checked by the organisation-policy test
    app = create_app(env)  # unknown names and bad values raise ConfigError
    assert app.config["RECOMMENDER_BIND"] == f"0.0.0.0:{CONTAINER_PORT}"


def test_prod_runs_more_and_larger_pods_than_dev(rendered: dict[str, Documents]) -> None:
    dev, prod = (one(rendered[o], "HorizontalPodAutoscaler")["spec"] for o in ("dev", "prod"))
    assert prod["minReplicas"] > dev["minReplicas"] >= 1
    assert prod["maxReplicas"] > dev["maxReplicas"]
    assert prod["minReplicas"] >= 3, "a pod per zone in three zones"
    assert int(env_of(rendered["prod"])["RECOMMENDER_WORKERS"]) > int(
        env_of(rendered["dev"])["RECOMMENDER_WORKERS"]
    )
    dev_cpu, prod_cpu = (container(rendered[o])["resources"]["limits"]["cpu"] for o in ("dev", "prod"))
    assert float(prod_cpu) > float(dev_cpu)


def test_prod_image_is_pinned_to_the_released_version(rendered: dict[str, Documents]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    image = container(rendered["prod"])["image"]
    assert image.rsplit(":", 1)[1] == version
    assert container(rendered["prod"])["imagePullPolicy"] == "IfNotPresent"


def test_request_rate_component_adds_a_pods_metric_to_the_cpu_target(tmp_path: Path) -> None:
    base = os.path.relpath(KUBERNETES, tmp_path)  # kustomize refuses absolute paths here
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{base}/overlays/prod]\ncomponents: [{base}/components/request-rate-autoscaling]\n"
    )
    metrics = one(render(tmp_path), "HorizontalPodAutoscaler")["spec"]["metrics"]
    assert [m["type"] for m in metrics] == ["Resource", "Pods"]
    assert metrics[1]["pods"]["metric"]["name"] == "recommender_http_requests_per_second"


def project_knowledge_volume(documents: Documents, into: Path) -> Path:
    """Write the files the kubelet would project from the knowledge volume; return the folder."""
    spec = container(documents)
    mount = next(m for m in spec["volumeMounts"] if m["name"] == "knowledge")
    volume = next(
        v
        for v in one(documents, "Deployment")["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "knowledge"
    )
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    for source in volume["projected"]["sources"]:
        data = config_maps[source["configMap"]["name"]]["data"]
        items = source["configMap"].get("items") or [{"key": key, "path": key} for key in data]
        for item in items:
            target = into / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data[item["key"]], encoding="utf-8")
    assert env_of(documents)["RECOMMENDER_KNOWLEDGE_PATH"] == mount["mountPath"]
    return into


def test_custom_knowledge_overlay_serves_the_knowledge_base_it_packs(
    rendered: dict[str, Documents], tmp_path: Path
) -> None:
    folder = project_knowledge_volume(rendered["custom-knowledge"], tmp_path / "knowledge")
    shipped = ROOT / "knowledge"
    # What the service reads: the manifest, the domain and findings files, the catalogue (not schema/).
    wanted = {p.relative_to(shipped) for p in [*shipped.glob("*.yaml"), *shipped.glob("catalogue/*")]
              if p.name != "kustomization.yaml"}  # fmt: skip
    assert {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()} == wanted, (
        "list every file of knowledge/ in knowledge/kustomization.yaml"
    )
    settings = {**env_of(rendered["custom-knowledge"]), "RECOMMENDER_KNOWLEDGE_PATH": str(folder)}
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["knowledge_base"]["digest"] == load_knowledge().digest


def test_knowledge_config_maps_fit_the_api_server_limit(
    rendered: dict[str, Documents], validate_deploy: Any
) -> None:
    assert validate_deploy.configmap_size_problems(rendered["custom-knowledge"]) == []
    too_big = {
        "kind": "ConfigMap",
        "metadata": {"name": "kb"},
        "data": {"catalogue.json": "x" * (1024 * 1024)},
    }
    assert validate_deploy.configmap_size_problems([too_big]) == [
        "ConfigMap kb: 1048590 bytes of data, over the 1 MiB limit"
    ]


def test_organisation_policy_overlay_serves_the_policy_it_packs(
    rendered: dict[str, Documents], tmp_path: Path
) -> None:
    documents = rendered["organisation-policy"]
    spec = container(documents)
    mount = next(m for m in spec["volumeMounts"] if m["name"] == "policy")
    assert env_of(documents)["RECOMMENDER_POLICY_PATH"] == mount["mountPath"]
    volume = next(
        v
        for v in one(documents, "Deployment")["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "policy"
    )
    data = next(
        d
        for d in documents
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == volume["configMap"]["name"]
    )
    folder = tmp_path / "policy"
    folder.mkdir()
    for key, text in data["data"].items():  # what the kubelet projects
        (folder / key).write_text(text, encoding="utf-8")
    settings = {**env_of(documents), "RECOMMENDER_POLICY_PATH": str(folder)}
    response = create_app(settings).test_client().get("/v1/knowledge")
    assert response.status_code == 200
    assert response.get_json()["policy"]["name"] == "acme-platform"

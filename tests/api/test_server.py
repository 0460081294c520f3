"""The real thing: `recommender serve` (gunicorn) on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.soak import free_port, serve
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
PROFILE = "team: {kubernetes_experience: some}\nplatform: {service_count: 12}\nworkload: {kind: api, vcpus: 4, memory_gib: 16}\n"  # noqa: E501


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    metrics_dir = tmp_path_factory.mktemp("metrics")
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    with serve(log, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}) as running:
        yield f"http://127.0.0.1:{running.port}"


def http(
    method: str, url: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def test_cli_json_equals_the_http_body(server: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE)
    cli = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "recommend", str(profile), "--format", "json"],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    status, headers, body = http(
        "POST", server + "/v1/recommendations", PROFILE.encode(), **{"Content-Type": "application/yaml"}
    )
    assert status == 200
    assert cli.stdout.rstrip(b"\n") == body
    assert headers["X-Knowledge-Digest"] == json.loads(body)["knowledge_base"]["digest"]


def test_server_answers_problems_and_hides_its_version(server: str) -> None:
    status, headers, body = http(
        "POST", server + "/v1/recommendations", b"{", **{"Content-Type": "application/json"}
    )
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 400
    assert "/" not in headers.get("Server", "")  # no version banner
    status, headers, _ = http("GET", server + "/healthz", **{"X-Request-ID": "from-client-7"})
    assert (status, headers["X-Request-ID"]) == (200, "from-client-7")


def test_metrics_add_up_every_worker(server: str) -> None:
    for _ in range(20):
        assert http("GET", server + "/v1/knowledge/orchestrator")[0] == 200
    line = (
        'recommender_http_requests_total{endpoint="/v1/knowledge/<string:domain>",method="GET",status="200"}'
    )
    for _ in range(4):  # whichever worker answers, it reports the total of both
        _, _, body = http("GET", server + "/metrics")
        counts = [row.split()[-1] for row in body.decode().splitlines() if row.startswith(line)]
        assert counts == ["20.0"]


def test_raw_header_injection_does_not_pass(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\rSet-Cookie: y=1\r\nConnection: close\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert b"Set-Cookie" not in reply


def test_body_limit_by_declared_length(server: str) -> None:
    status, _, body = http(
        "POST",
        server + "/v1/recommendations",
        b" " * (1024 * 1024 + 1),
        **{"Content-Type": "application/json"},
    )
    assert status == 413
    assert json.loads(body)["status"] == 413


def test_invalid_knowledge_base_stops_the_start_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", broken)
    text = (broken / "orchestrator.yaml").read_text()
    (broken / "orchestrator.yaml").write_text(text.replace("op: eq", "op: equals", 1))
    env = {
        **os.environ,
        "RECOMMENDER_BIND": f"127.0.0.1:{free_port()}",
        "RECOMMENDER_KNOWLEDGE_PATH": str(broken),
    }
    result = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "orchestrator.yaml:" in result.stderr and "unknown operator 'equals'" in result.stderr
    assert "Traceback" not in result.stderr

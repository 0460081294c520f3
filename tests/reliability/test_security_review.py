"""Security review, as tests: no internals in any answer, headers on the page, keys never logged,
a non-root read-only container, pinned dependencies. (Constant-time key comparison, CORS and request-id
checks live in tests/api/test_security.py; the Kubernetes and ECS security contexts in tests/deploy.)"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import recommender
from api import create_app
from bench.soak import Server, request, serve
from recommender.knowledge import KnowledgeBase
from tests.conftest import ROOT

SECRET_KEY = "k3y-that-must-never-be-logged"
INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|/work/|site-packages|werkzeug|flask|gunicorn/\d|Python/\d", re.I
)


@pytest.fixture
def crashing_app(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """Every engine entry point raises an error whose text names a file path and a secret."""

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"secret at {Path(recommender.__file__).resolve()} line 42")

    import api.resources.evaluations as evaluations
    import api.resources.recommendations as recommendations

    monkeypatch.setattr(recommendations, "recommend", explode)
    monkeypatch.setattr(evaluations, "evaluate", explode, raising=False)
    return create_app({"KNOWLEDGE_BASE": kb})  # not TESTING: errors are handled as in production


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/recommendations", b'{"platform": {}}'),
        ("/v1/evaluations", b'{"name": "x", "profile": {"platform": {}}}'),
    ],
)
def test_a_forced_500_shows_no_trace_path_or_version(
    crashing_app: Flask, path: str, body: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    response = crashing_app.test_client().post(path, data=body, content_type="application/json")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "secret" not in text and not INTERNALS.search(text), text
    assert not any(INTERNALS.search(f"{k}: {v}") for k, v in response.headers.items() if k != "Content-Type")
    assert "secret at" in capsys.readouterr().err  # the operator gets it, in the log


def test_the_portal_page_carries_the_security_headers(kb: KnowledgeBase) -> None:
    response = create_app({"TESTING": True, "KNOWLEDGE_BASE": kb}).test_client().get("/")
    response.close()  # a file response: close it, as a server would
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline scripts, no CDN
    assert policy["frame-ancestors"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("locked") / "serve.log"
    with serve(log, {"RECOMMENDER_API_KEYS": SECRET_KEY, "RECOMMENDER_LOG_LEVEL": "DEBUG"}) as server:
        yield server


def raw(server: Server, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.slow
@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    ],
    ids=["garbage", "long request line", "200 headers", "bad version"],
)
def test_gunicorn_own_errors_carry_no_version_or_trace(locked_server: Server, data: bytes) -> None:
    reply = raw(locked_server, data)
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line.split()[1].startswith(b"4")
    assert not re.search(rb"gunicorn/\d|Traceback|\.py\b", reply), reply[:500]
    assert request(locked_server.port, "GET", "/healthz")[0] == 200


@pytest.mark.slow
def test_api_keys_never_reach_any_log_line(locked_server: Server) -> None:
    profile = b'{"platform": {}}'
    for key in (SECRET_KEY, SECRET_KEY + "-wrong"):
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        request(locked_server.port, "POST", "/v1/recommendations", profile, headers)
        request(locked_server.port, "POST", "/v1/recommendations", b"{", headers)
    assert request(locked_server.port, "GET", "/v1/knowledge")[0] == 401
    statuses = {200, 400, 401}
    log = locked_server.log_text()
    logged = {json.loads(line)["status"] for line in log.splitlines() if '"recommender.access"' in line}
    assert statuses <= logged  # the requests were logged (at DEBUG level, everything is) ...
    assert SECRET_KEY not in log  # ... and the key was not, not even a wrong one


def dockerfile_stages() -> list[list[str]]:
    stages: list[list[str]] = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM":
            stages.append([])
        if words and stages:
            stages[-1].append(line)
    return stages


def test_the_image_runs_as_a_numeric_non_root_user_and_writes_only_to_tmp() -> None:
    runtime = dockerfile_stages()[-1]
    users = [line.split()[1] for line in runtime if line.split()[0].upper() == "USER"]
    assert users, "the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric, so Kubernetes' runAsNonRoot can verify it
    text = "\n".join(runtime)
    assert "WORKDIR /tmp" in text and "PROMETHEUS_MULTIPROC_DIR=/tmp/" in text
    assert not re.search(r"^\s*(ADD|RUN .*chmod .*777)", text, re.M)


def test_every_requirement_is_pinned_exactly() -> None:
    files = sorted(ROOT.glob("requirements*.txt"))
    assert files
    for file in files:
        for line in file.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r "):
                # an environment marker (`; python_version < "3.14"`) only says where the pin applies
                assert re.fullmatch(
                    r"[A-Za-z0-9_.\-\[\]]+==[0-9][A-Za-z0-9.+!-]*( ; [a-z_]+ [<>=!]+ \"[0-9.]+\")?", line
                ), f"{file.name}: {line}"

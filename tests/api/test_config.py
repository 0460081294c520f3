"""Settings (defaults < environment < mapping), refusing to start on bad settings or a bad knowledge base."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from api import create_app
from api.config import ConfigError, resolve_settings
from recommender.errors import KnowledgeError
from tests.conftest import ROOT

MakeApp = Callable[..., Flask]


def test_defaults() -> None:
    settings = resolve_settings(environ={})
    assert settings["RECOMMENDER_BIND"] == "127.0.0.1:8080"
    assert settings["RECOMMENDER_WORKERS"] == 2
    assert settings["RECOMMENDER_MAX_BODY_BYTES"] == 1024 * 1024
    assert settings["RECOMMENDER_MAX_BATCH"] == 1000
    assert settings["RECOMMENDER_API_KEYS"] == ()
    assert settings["RECOMMENDER_FRAME_ANCESTORS"] == "'self'"


def test_environment_overrides_defaults_and_the_mapping_overrides_both() -> None:
    environ = {
        "RECOMMENDER_MAX_BATCH": "5",
        "RECOMMENDER_CORS_ORIGINS": "https://a.example, https://b.example",
    }
    settings = resolve_settings({"RECOMMENDER_MAX_BATCH": 7}, environ=environ)
    assert settings["RECOMMENDER_MAX_BATCH"] == 7
    assert settings["RECOMMENDER_CORS_ORIGINS"] == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RECOMMENDER_WORKERS", "0", "must be at least 1"),
        ("RECOMMENDER_MAX_BODY_BYTES", "lots", "invalid literal"),
        ("RECOMMENDER_BIND", "8080", "must be HOST:PORT"),
        ("RECOMMENDER_LOG_LEVEL", "chatty", "must be one of"),
        ("RECOMMENDER_TRUST_REQUEST_ID", "maybe", "must be true or false"),
        ("RECOMMENDER_TIMEOUT", "-1", "must be a positive number"),
    ],
)
def test_bad_setting_names_itself(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_settings(environ={name: value})
    assert str(caught.value).startswith(f"{name}=")


def test_environment_reaches_the_app(monkeypatch: pytest.MonkeyPatch, make_app: MakeApp) -> None:
    monkeypatch.setenv("RECOMMENDER_MAX_BATCH", "3")
    assert make_app().config["RECOMMENDER_MAX_BATCH"] == 3


def test_invalid_knowledge_base_refuses_to_start_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", broken)
    text = (broken / "orchestrator.yaml").read_text()
    (broken / "orchestrator.yaml").write_text(text.replace("op: eq", "op: equals", 1))
    with pytest.raises(KnowledgeError) as caught:
        create_app({"RECOMMENDER_KNOWLEDGE_PATH": str(broken)})
    message = str(caught.value)
    assert "orchestrator.yaml:" in message
    assert "equals" in message


def test_access_log_is_one_json_line_per_request(
    make_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_app().test_client()
    capsys.readouterr()
    client.get("/v1/knowledge/backup?x=1", headers={"X-Request-ID": "req-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    access = [line for line in lines if line["logger"] == "recommender.access"]
    assert len(access) == 1
    entry = access[0]
    assert {k: entry[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/v1/knowledge/backup",
        "status": 400,
        "request_id": "req-1",
    }
    assert entry["duration_ms"] >= 0
    assert entry["kb_digest"].startswith("sha256:")

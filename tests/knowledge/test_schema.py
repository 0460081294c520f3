"""knowledge/schema/*.schema.json (JSON Schema 2020-12) describe the shipped files, and reject broken ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from recommender.knowledge import DEFAULT_PATH

SCHEMAS = DEFAULT_PATH / "schema"
MANIFEST = yaml.safe_load((DEFAULT_PATH / "knowledge.yaml").read_text())
DOMAIN_FILES = [DEFAULT_PATH / f"{d}.yaml" for d in MANIFEST["domains"]]


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def as_json(path: Path) -> Any:
    return json.loads(json.dumps(yaml.safe_load(path.read_text())))  # integer keys become strings, as in JSON


def errors(name: str, document: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(document)]


def test_manifest_matches_its_schema() -> None:
    assert errors("manifest.schema.json", as_json(DEFAULT_PATH / "knowledge.yaml")) == []


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=[p.stem for p in DOMAIN_FILES])
def test_domain_file_matches_the_schema(path: Path) -> None:
    assert errors("domain.schema.json", as_json(path)) == []


def test_every_domain_is_listed_in_the_manifest() -> None:
    assert MANIFEST["domains"] == ["orchestrator", "launch_type", "instance_family", "connectivity", "backup"]


def broken(change: str) -> Any:
    document = copy.deepcopy(as_json(DEFAULT_PATH / "connectivity.yaml"))
    rule = document["rules"][0]
    if change == "no sources":
        del rule["sources"]
    elif change == "score and exclude":
        rule["score"] = 5
    elif change == "bad operator":
        rule["when"]["all"][0]["op"] = "equals"
    elif change == "unknown key":
        rule["reasn"] = rule.pop("reason")
    elif change == "world-open rule":
        document["security_group_rules"][0]["rule"]["source"] = "cidr:0.0.0.0/0"
    elif change == "http source":
        rule["sources"] = ["http://example.com/"]
    return document


@pytest.mark.parametrize(
    "change",
    ["no sources", "score and exclude", "bad operator", "unknown key", "world-open rule", "http source"],
)
def test_schema_rejects_a_broken_domain_file(change: str) -> None:
    assert errors("domain.schema.json", broken(change)) != []

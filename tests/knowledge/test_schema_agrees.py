"""`recommender kb validate` (the loader) and the JSON Schema of knowledge/schema/ judge the same broken
files the same way: each broken copy of connectivity.yaml is rejected by both."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from recommender.cli import main
from recommender.knowledge import DEFAULT_PATH
from tests.knowledge.test_schema import broken, errors

SG_RULE_CHANGES = {
    "/0 destination": ("destination", "cidr:::/0"),
    "peer of no kind": ("source", "anywhere"),
    "icmp protocol": ("protocol", "icmp"),
    "unknown direction": ("direction", "both"),
}


def broken_file(change: str) -> Any:
    if change not in SG_RULE_CHANGES:
        return broken(change)
    document = broken("none")
    rule = document["security_group_rules"][0]["rule"]
    key, value = SG_RULE_CHANGES[change]
    if key == "destination":
        rule.pop("source", None)
    rule[key] = value
    return document


@pytest.mark.parametrize(
    "change",
    ["none", "no sources", "score and exclude", "bad operator", "unknown key", "world-open rule", "http source",
     *SG_RULE_CHANGES],
)  # fmt: skip
def test_kb_validate_and_the_json_schema_agree(
    change: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_PATH, folder)
    document = broken_file(change)
    (folder / "connectivity.yaml").write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
    by_schema = errors("domain.schema.json", document) != []
    exit_code = main(["kb", "validate", str(folder)])
    problems = capsys.readouterr().out
    assert by_schema == (change != "none")
    assert (exit_code == 1) == by_schema, problems
    if by_schema:
        assert "connectivity.yaml:" in problems

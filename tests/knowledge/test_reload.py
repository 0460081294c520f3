"""Data derived from a knowledge base (the checks' network data, the engine's scoring plans) belongs to that
knowledge base: a reloaded one, even at the address of a freed one, never gets the old derived data."""

from __future__ import annotations

import gc
import re
import shutil
from pathlib import Path
from typing import Any

from recommender import recommend
from recommender.knowledge import DEFAULT_PATH, KnowledgeBase, load_knowledge
from tests.evaluation.conftest import base, group, run

PROFILE = {"workload": {"kind": "web"}, "platform": {}}


def copy_kb(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(DEFAULT_PATH, folder)
    return folder


def ssh_from_the_world(kb: KnowledgeBase) -> str:
    doc = base()
    group(doc, "sg-app")["inbound"] = [{"protocol": "tcp", "ports": "22", "source": "0.0.0.0/0"}]
    return next(f["message"] for f in run(doc, kb)["findings"] if f["id"] == "sg-open-admin-port")


def orchestrator_impacts(kb: KnowledgeBase) -> dict[str, Any]:
    winner = recommend(PROFILE, kb)["recommendations"]["orchestrator"]["options"][0]
    return {term["rule"]: term["impact"] for term in winner["rationale"]}


def test_a_reloaded_knowledge_base_never_gets_stale_network_data(tmp_path: Path) -> None:
    folders = {"SSH": copy_kb(tmp_path, "ssh"), "Secure Shell": copy_kb(tmp_path, "secure-shell")}
    findings = folders["Secure Shell"] / "findings.yaml"
    findings.write_text(findings.read_text().replace("22: SSH", "22: Secure Shell"))
    for name in ["SSH", "Secure Shell"] * 5:  # reloads: a new knowledge base often reuses a freed address
        message = ssh_from_the_world(load_knowledge(folders[name]))
        assert ("Secure Shell" in message) == (name == "Secure Shell"), message
        gc.collect()


def test_a_reloaded_knowledge_base_never_gets_a_stale_scoring_plan(tmp_path: Path) -> None:
    old = load_knowledge(copy_kb(tmp_path, "old"))
    before = orchestrator_impacts(old)
    rule = next(r for r, impact in before.items() if impact > 0)
    folder = copy_kb(tmp_path, "new")
    domain = folder / "orchestrator.yaml"
    text = domain.read_text()
    at = text.index(f"id: {rule}\n")
    score = re.compile(r"score: (-?[0-9.]+)").search(text, at)
    assert score is not None
    domain.write_text(text[: score.start(1)] + str(float(score.group(1)) * 2) + text[score.end(1) :])
    del old
    gc.collect()
    after = orchestrator_impacts(load_knowledge(folder))
    assert after[rule] == before[rule] * 2

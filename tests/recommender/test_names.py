"""Each name has one source: the domains' titles are the knowledge base's `name:`, wherever they are shown."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from recommender import recommend
from recommender.cli import main
from recommender.explain import render_adr
from recommender.knowledge import DEFAULT_PATH, KnowledgeBase
from recommender.profile import load_profile

PROFILE = {"platform": {"manage_servers": "prefer_not"}, "team": {"kubernetes_experience": "none"}}


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped knowledge base whose orchestrator domain has another name."""
    folder = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(DEFAULT_PATH, folder)
    domain = folder / "orchestrator.yaml"
    domain.write_text(re.sub(r"(?m)^name: .*$", "name: Who runs the containers", domain.read_text(), count=1))
    return folder


@pytest.mark.parametrize("fmt", ["table", "markdown", "adr"])
def test_the_cli_titles_domains_with_the_knowledge_base_names(
    renamed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("platform: {manage_servers: prefer_not}\n")
    assert main(["recommend", str(profile), "--format", fmt, "--kb", str(renamed)]) == 0
    assert "Who runs the containers" in capsys.readouterr().out


def test_the_decision_record_titles_every_domain_with_its_name(kb: KnowledgeBase) -> None:
    profile = load_profile(PROFILE)
    adr = render_adr(recommend(profile, kb, explain="changes"), profile, kb.domain_titles)
    for domain in ("orchestrator", "launch_type"):
        assert f"## Decision: {kb.domains[domain].name}\n" in adr

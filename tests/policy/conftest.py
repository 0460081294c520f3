"""Fixtures of the policy tests: the example policy of examples/ (what the docs show) and ways to break it."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.knowledge import KnowledgeBase
from recommender.policy import Policy, apply_policy, load_policy
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "policy.yaml"


@pytest.fixture(scope="session")
def policy(kb: KnowledgeBase) -> Policy:
    return load_policy(EXAMPLE, kb)


@pytest.fixture(scope="session")
def policy_kb(kb: KnowledgeBase, policy: Policy) -> KnowledgeBase:
    return apply_policy(kb, policy)


def write_policy(folder: Path, text: str, name: str = "policy.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path

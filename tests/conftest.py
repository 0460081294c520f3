from __future__ import annotations

from pathlib import Path

import pytest

from recommender.knowledge import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()

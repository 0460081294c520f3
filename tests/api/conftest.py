from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from recommender.knowledge import KnowledgeBase
from tests.conftest import SCENARIOS


@pytest.fixture
def make_app(kb: KnowledgeBase) -> Callable[..., Flask]:
    """create_app with settings, reusing the session's knowledge base (loading it takes a while)."""

    def make(**settings: Any) -> Flask:
        return create_app({"TESTING": True, "KNOWLEDGE_BASE": kb, **settings})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def public_profiles() -> list[dict[str, Any]]:
    return [case["profile"] for case in yaml.safe_load((SCENARIOS / "public.yaml").read_text())]


@pytest.fixture(scope="session")
def public_proposals() -> list[dict[str, Any]]:
    return [case["proposal"] for case in yaml.safe_load((SCENARIOS / "proposals-public.yaml").read_text())]

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.deploy.deployables import OVERLAYS, load_validate_deploy, render_overlay


@pytest.fixture(scope="session")
def validate_deploy() -> ModuleType:
    return load_validate_deploy()


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render_overlay(name) for name in OVERLAYS}

"""The compiled profile loader (the fast path of load_profile) decides exactly as the marshmallow schema does."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.errors import ProfileError
from recommender.profile import load_profile
from recommender.profile_schema import BACKUP_SCOPES, DATABASE_ENGINES, WORKLOAD_KINDS, ProfileSchema

FULL = {
    "name": "loader",
    "priorities": {"cost": 5, "simplicity": 0, "portability": 2, "security": 4, "performance": 1},
    "team": {"kubernetes_experience": "some", "ops_capacity": "minimal", "existing_platform": "ecs"},
    "platform": {"multi_cloud": True, "manage_servers": "prefer_not", "service_count": 12},
    "workload": {"kind": WORKLOAD_KINDS[0], "vcpus": 4, "memory_gib": 16, "gpus": 0, "arm64_ok": True},
    "network": {
        "source": {"type": "container", "vpc": "vpc-10.1.0.0/16", "region": "us-east-1", "account": 1111},
        "target": {"type": "rds", "engine": DATABASE_ENGINES[1], "vpc": "vpc-b", "region": "eu-west-1"},
        "bandwidth_gbps": 2,
    },
    "backup": {"scope": list(BACKUP_SCOPES[:2]), "rpo_minutes": 5, "cross_region": True},
}
ODD_VALUES = [
    None,
    "x",
    "",
    0,
    1,
    -1,
    4.5,
    10**9,
    10**400,
    float("inf"),
    True,
    False,
    [],
    ["files"],
    {},
    {"x": 1},
    "web",
]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


PATHS = paths(FULL)


def outcome(document: Any, schema: Any = None) -> Any:
    """What load_profile makes of a document: the profile's parts as JSON, or the error by field."""
    try:
        profile = load_profile(document) if schema is None else load_profile(document, schema=schema)
    except ProfileError as exc:
        return ("error", exc.errors)
    parts = [profile.data, profile.facts, profile.assumptions, profile.name, sorted(profile.sections)]
    return orjson.dumps(parts, option=orjson.OPT_NON_STR_KEYS)


@st.composite
def edited_profiles(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(FULL)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        *parents, last = path
        node: Any = document
        try:
            for key in parents:
                node = node[key]
            action = draw(st.sampled_from(["replace", "delete", "unknown"]))
            if action == "replace":
                node[last] = draw(st.sampled_from(ODD_VALUES))
            elif action == "delete" and isinstance(node, dict):
                del node[last]
            elif isinstance(node, dict):
                node[draw(st.sampled_from(["extra", "vcpu", "Name"]))] = 1
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit removed or replaced this part
    return document


@settings(max_examples=300, deadline=None)
@given(edited_profiles())
def test_compiled_loader_agrees_with_the_schema(document: dict[str, Any]) -> None:
    assert outcome(document) == outcome(document, schema=ProfileSchema())


@pytest.mark.parametrize(
    "document", [FULL, {}, {"workload": {"kind": "web"}}, {"backup": {"scope": ["files"]}}]
)
def test_compiled_loader_agrees_on_typical_profiles(document: dict[str, Any]) -> None:
    assert outcome(document) == outcome(document, schema=ProfileSchema())
    assert outcome(document)[0] != "error"


def test_whole_numbers_for_decimal_fields_load_as_the_schema_loads_them() -> None:
    profile = load_profile({"workload": {"kind": "web", "memory_gib": 16}, "network": FULL["network"]})
    assert type(profile.data["workload"]["memory_gib"]) is float
    assert type(profile.data["network"]["bandwidth_gbps"]) is float
    assert profile.data["network"]["source"]["account"] == "1111"

"""The workload profile (shared/spec/profile.md): loading a document with the schemas of
recommender.profile_schema, the defaults it leaves as assumptions, the facts rules read, and the frozen `Profile`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from recommender.errors import ProfileError
from recommender.loader import NotFast, compile_loader
from recommender.profile_schema import ProfileSchema
from recommender.schema_fields import StrictBoolean, flatten_errors

ALWAYS_DEFAULTED = ("priorities", "team")
_NESTED_SECTIONS = tuple(k for k, f in ProfileSchema._declared_fields.items() if isinstance(f, fields.Nested))
SECTION_DOMAINS = {
    "platform": ("orchestrator", "launch_type"),
    "workload": ("instance_family",),
    "network": ("connectivity",),
    "backup": ("backup",),
}


@dataclass(frozen=True)
class Profile:
    """A validated profile: `data` with every default applied, `facts` flat by dotted path (plus derived facts)."""

    data: Mapping[str, Any]
    facts: Mapping[str, Any]
    assumptions: tuple[Mapping[str, Any], ...]
    name: str | None = None
    sections: frozenset[str] = field(default_factory=frozenset)

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(d for s, ds in SECTION_DOMAINS.items() if s in self.sections for d in ds)


_SCHEMA = ProfileSchema()
_fast_load = compile_loader(_SCHEMA)
# What an omitted always-defaulted section loads as (scalars only: a shallow copy per profile is enough).
_SECTION_DEFAULTS = {section: _SCHEMA.fields[section].schema.load({}) for section in ALWAYS_DEFAULTED}  # type: ignore[attr-defined]


def load_profile(document: Any, *, schema: Schema = _SCHEMA) -> Profile:
    """Validate a raw profile document and return the frozen Profile. Raises ProfileError."""
    if not isinstance(document, Mapping):
        raise ProfileError("The profile must be a mapping.", {"profile": ["Must be an object."]})
    try:
        loaded = _fast_load(document) if schema is _SCHEMA else schema.load(document)
    except (ValidationError, NotFast):
        try:
            loaded = schema.load(document)
        except ValidationError as exc:
            raise ProfileError("The profile is invalid.", flatten_errors(exc.messages, schema)) from None
    return build_profile(document, loaded)


def build_profile(document: Mapping[str, Any], loaded: dict[str, Any]) -> Profile:
    sections = frozenset(k for k in _NESTED_SECTIONS if k in loaded)
    assumptions: list[dict[str, Any]] = []
    if "region" not in document:
        assumptions.append({"field": "region", "value": loaded["region"], "reason": "default"})
    for section in ALWAYS_DEFAULTED:
        if section not in loaded:
            loaded[section] = dict(_SECTION_DEFAULTS[section])
    for section, plan in _DEFAULTS_PLANS.items():
        if section in loaded:
            _collect_defaults(plan, document.get(section) or {}, loaded[section], assumptions)
    facts = flatten(loaded)
    if "network" in loaded:
        derive_network_facts(loaded["network"], facts, assumptions)
    if "workload" in loaded:
        facts["workload.memory_per_vcpu"] = memory_per_vcpu(
            loaded["workload"]["memory_gib"], loaded["workload"]["vcpus"]
        )
    return Profile(
        data=loaded, facts=facts, assumptions=tuple(assumptions), name=loaded.get("name"), sections=sections
    )


# A section's fields, for listing the ones a profile left to their defaults: (name, dotted path, the nested
# section's own fields or None), worked out once from the schema.
DefaultsPlan = tuple[tuple[str, str, "DefaultsPlan | None"], ...]


def _defaults_plan(path: str, schema: Schema) -> DefaultsPlan:
    return tuple(
        (
            name,
            f"{path}.{name}",
            _defaults_plan(f"{path}.{name}", f.schema) if isinstance(f, fields.Nested) else None,
        )
        for name, f in schema.fields.items()
    )


def _collect_defaults(
    plan: DefaultsPlan, given: Mapping[str, Any], loaded: Mapping[str, Any], out: list[dict[str, Any]]
) -> None:
    for name, path, nested in plan:
        if nested is not None:
            if name in loaded:
                _collect_defaults(nested, given.get(name) or {}, loaded[name], out)
        elif name not in given and name in loaded:
            out.append({"field": path, "value": loaded[name], "reason": "default"})


_DEFAULTS_PLANS = {
    name: _defaults_plan(name, f.schema) for name, f in _SCHEMA.fields.items() if isinstance(f, fields.Nested)
}


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists become tuples."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):  # loaded data is plain dicts (a Mapping check costs 10x more)
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = tuple(value) if isinstance(value, list) else value
    return flat


def memory_per_vcpu(memory_gib: float, vcpus: int) -> float:
    """The derived fact `workload.memory_per_vcpu`."""
    return round(memory_gib / vcpus, 3)


def derive_network_facts(
    net: dict[str, Any], facts: dict[str, Any], assumptions: list[dict[str, Any]]
) -> None:
    """Facts the connectivity rules need that follow from the labels: same VPC, Region, account."""
    source, target = net["source"], net["target"]
    in_aws = source["type"] not in ("on_premises", "internet")
    facts["network.source.in_aws"] = in_aws

    def same(label: str, what: str, assumed: bool) -> bool | None:
        if not in_aws:
            return False
        a, b = source.get(label), target.get(label)
        if a is not None and b is not None:
            return bool(a == b)
        assumptions.append(
            {"field": f"network.source.{label}" if a is None else f"network.target.{label}", "value": None,
             "reason": f"not given: assumed {'the same' if assumed else 'a different'} {what} as the other side"}
        )  # fmt: skip
        return assumed

    vpcs = {v for v in (source.get("vpc") if in_aws else None, target.get("vpc")) if v is not None}
    if "vpc_count" not in net:
        net["vpc_count"] = max(1, len(vpcs))
        assumptions.append(
            {
                "field": "network.vpc_count",
                "value": net["vpc_count"],
                "reason": "default: distinct VPCs named",
            }
        )
        facts["network.vpc_count"] = net["vpc_count"]
    if in_aws and source["type"] == "lambda" and source.get("vpc") is None:
        facts["network.same_vpc"] = True
        assumptions.append(
            {"field": "network.source.vpc", "value": target.get("vpc"),
             "reason": "a Lambda function with no VPC is attached to the database's VPC"}
        )  # fmt: skip
    else:
        facts["network.same_vpc"] = same("vpc", "VPC", assumed=net["vpc_count"] <= 1)
    facts["network.same_region"] = same("region", "Region", assumed=True)
    facts["network.same_account"] = same("account", "account", assumed=True)


@dataclass(frozen=True)
class FactType:
    """What a condition may compare a fact with: its kind and, for enumerations, the allowed values."""

    kind: str  # enum | bool | int | number | label | list
    choices: tuple[str, ...] = ()


DERIVED_FACTS = {
    "network.source.in_aws": FactType("bool"),
    "network.same_vpc": FactType("bool"),
    "network.same_region": FactType("bool"),
    "network.same_account": FactType("bool"),
    "workload.memory_per_vcpu": FactType("number"),
}


def fact_types(schema: Schema = _SCHEMA, prefix: str = "") -> dict[str, FactType]:
    """Every fact a knowledge-base condition may read, by dotted path."""
    types: dict[str, FactType] = {}
    for name, fld in schema.fields.items():
        path = prefix + name
        if isinstance(fld, fields.Nested):
            types.update(fact_types(fld.schema, path + "."))
        elif isinstance(fld, fields.List):
            types[path] = FactType("list", _choices(fld.inner))
        elif isinstance(fld, StrictBoolean):
            types[path] = FactType("bool")
        elif isinstance(fld, fields.Integer):
            types[path] = FactType("int")
        elif isinstance(fld, fields.Float):
            types[path] = FactType("number")
        elif _choices(fld):
            types[path] = FactType("enum", _choices(fld))
        else:
            types[path] = FactType("label")
    if not prefix:
        types.update(DERIVED_FACTS)
    return types


def _choices(fld: Any) -> tuple[str, ...]:
    for v in getattr(fld, "validators", ()):
        if isinstance(v, validate.OneOf):
            return tuple(str(c) for c in v.choices)
    return ()

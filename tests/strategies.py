"""Hypothesis strategies that generate valid documents straight from the marshmallow schemas."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from marshmallow import Schema, fields, validate

from recommender.profile_schema import ProfileSchema
from recommender.schema_fields import Label, StrictBoolean

LABELS = st.sampled_from(["vpc-a", "vpc-b", "us-east-1", "eu-west-1", "111111111111", "subnet-1"])


def _range(fld: fields.Field) -> tuple[Any, Any]:
    for v in fld.validators:
        if isinstance(v, validate.Range):
            return v.min, v.max
    return None, None


def _choices(fld: fields.Field) -> list[Any] | None:
    for v in fld.validators:
        if isinstance(v, validate.OneOf):
            return list(v.choices)
    return None


def for_field(fld: fields.Field) -> st.SearchStrategy[Any]:
    if isinstance(fld, fields.Nested):
        return for_schema(fld.schema)
    if isinstance(fld, fields.List):
        inner = _choices(fld.inner)
        assert inner is not None
        return st.lists(st.sampled_from(inner), min_size=1, max_size=len(inner), unique=True)
    if isinstance(fld, StrictBoolean):
        return st.booleans()
    if isinstance(fld, fields.Integer):
        low, high = _range(fld)
        return st.integers(min_value=low, max_value=min(high, 100000) if high else 1000)
    if isinstance(fld, fields.Float):
        low, high = _range(fld)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    choices = _choices(fld)
    if choices:
        return st.sampled_from(choices)
    if isinstance(fld, Label):
        return LABELS
    return st.text(min_size=1, max_size=20)


def for_schema(schema: Schema, *, skip: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    required = {n: for_field(f) for n, f in schema.fields.items() if f.required and n not in skip}
    optional = {n: for_field(f) for n, f in schema.fields.items() if not f.required and n not in skip}
    return st.fixed_dictionaries(required, optional=optional)


profiles = for_schema(ProfileSchema(), skip=("name",))

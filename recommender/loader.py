"""A loader made from a marshmallow schema for the hot path: what `schema.load` returns for a valid document,
about 5x faster (and compiled with mypyc, recommender/compiled.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields, missing

from recommender.schema_fields import Label, StrictBoolean, StrictInteger, StrictNumber


class NotFast(Exception):
    """A compiled loader met something it leaves to marshmallow (which then accepts it or names the error)."""


def compile_loader(
    schema: Schema, plain_types: Mapping[type, type] | None = None
) -> Callable[[Any], dict[str, Any]]:
    """A loader that returns what `schema.load` returns for a valid document, without marshmallow's per-field
    machinery (about 5x faster). It reads the schema itself (fields, data keys, required, defaults, validators,
    @validates_schema hooks), so the schema stays the one definition of the input. Whatever it is not sure of
    (a wrong type, an unknown or missing field) raises ValidationError or NotFast: call `schema.load` then.
    `plain_types` maps field classes whose only checks are validators to the Python type they hold.
    """
    plain = PLAIN_TYPES if plain_types is None else plain_types
    if any(
        tag != "validates_schema" or many or options.get("pass_original")
        for tag, entries in schema._hooks.items()
        for _, many, options in entries
    ):  # hooks it does not mimic (pre/post load, @validates, pass_many...): marshmallow does all the work
        return lambda data: schema.load(data)
    specs = []
    for name, fld in schema.fields.items():
        inner = fld.inner if isinstance(fld, fields.List) else fld
        nested = compile_loader(inner.schema, plain) if isinstance(inner, fields.Nested) else None
        default = fld.load_default
        specs.append((fld.data_key or name, name, fld, nested, isinstance(fld, fields.List), default))
    known = frozenset(spec[0] for spec in specs)
    hooks = [getattr(schema, name) for name, _, _ in schema._hooks.get("validates_schema", [])]

    def load(data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping) or not known.issuperset(data):
            raise NotFast
        out: dict[str, Any] = {}
        for key, name, fld, nested, is_list, default in specs:
            if key not in data:
                if fld.required:
                    raise NotFast
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            value = data[key]
            if nested is None:
                out[name] = _scalar(fld, value, plain)
            elif is_list:
                if not isinstance(value, list):
                    raise NotFast
                out[name] = [nested(item) for item in value]
                for validator in fld.validators:
                    validator(out[name])
            else:
                out[name] = nested(value)
        for hook in hooks:
            hook(out)
        return out

    return load


PLAIN_TYPES: Mapping[type, type] = {
    fields.String: str, Label: str, StrictBoolean: bool, StrictInteger: int, StrictNumber: float,
}  # fmt: skip


def _scalar(fld: fields.Field, value: Any, plain: Mapping[type, type]) -> Any:
    """fld.deserialize(value), short-cut when the value already has the field's own type (or is an int for a
    float field, which marshmallow turns into a float)."""
    kind = plain.get(type(fld))
    if kind is float:
        if type(value) is int and abs(value) < _FLOAT_LIMIT:
            value = float(value)
        elif type(value) is not float or not math.isfinite(value):
            return fld.deserialize(value)  # not a number, or one marshmallow refuses: it names the error
    elif kind is not type(value):
        return fld.deserialize(value)
    for validator in fld.validators:
        validator(value)
    return value


_FLOAT_LIMIT = 2**1000  # ints below convert to a float without overflow

"""marshmallow tools shared by the profile and proposal schemas: strict fields (no silent coercion of types),
a strict schema base, a compiled loader for the hot path, and flat error messages."""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, fields, missing


class StrictBoolean(fields.Boolean):
    """Only true or false: "yes" or 1 are type errors, not booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictNumber(fields.Float):
    """A JSON number (int or float), never a string and never a boolean."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Label(fields.String):
    """Free-text label (VPC, subnet, region, account): a string, or a number YAML read unquoted."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


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


PLAIN_TYPES: Mapping[type, type] = {fields.String: str, Label: str, StrictBoolean: bool, StrictInteger: int}


def _scalar(fld: fields.Field, value: Any, plain: Mapping[type, type]) -> Any:
    """fld.deserialize(value), short-cut when the value already has the field's own type."""
    if plain.get(type(fld)) is not type(value):
        return fld.deserialize(value)
    for validator in fld.validators:
        validator(value)
    return value


SUGGESTION_LIMIT = 20  # "did you mean" for the first unknown fields only: a flood of them stays cheap


def flatten_errors(messages: Any, schema: Schema | None = None, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"workload.vcpus": ["..."]}, with did-you-mean for unknown fields."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "profile"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        key = str(key)
        path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else key)
        nested = None
        if schema is not None and key in schema.fields and isinstance(schema.fields[key], fields.Nested):
            nested = schema.fields[key].schema  # type: ignore[attr-defined]
        elif schema is not None and key in schema.fields and isinstance(schema.fields[key], fields.List):
            inner = schema.fields[key].inner  # type: ignore[attr-defined]
            nested = inner.schema if isinstance(inner, fields.Nested) else None
        if isinstance(value, dict):
            if all(isinstance(k, int) for k in value) and nested is not None:
                for idx, item in value.items():
                    flat.update(flatten_errors(item, nested, f"{path}.{idx}"))
            else:
                flat.update(flatten_errors(value, nested, path))
        else:
            msgs = [str(m) for m in value]
            if schema is not None and msgs == ["Unknown field."] and len(flat) < SUGGESTION_LIMIT:
                guess = difflib.get_close_matches(key, list(schema.fields), n=1)
                if guess:
                    msgs = [f"Unknown field. Did you mean '{guess[0]}'?"]
            flat.setdefault(path or "profile", []).extend(msgs)
    return flat

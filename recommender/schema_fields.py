"""marshmallow tools shared by the profile and proposal schemas: strict fields (no silent coercion of types),
a strict schema base, and flat error messages (the hot path's loader is recommender.loader)."""

from __future__ import annotations

import difflib
import numbers
from typing import Any

from marshmallow import RAISE, Schema, fields


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

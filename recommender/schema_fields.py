"""Strict marshmallow fields shared by the profile and proposal schemas: no silent coercion of types."""

from __future__ import annotations

import numbers
from typing import Any

from marshmallow import fields


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

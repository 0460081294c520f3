"""The one way documents become bytes: compact JSON, keys in the order the engine built them."""

from __future__ import annotations

from typing import Any

import orjson


def to_json(document: Any) -> bytes:
    return orjson.dumps(document)


def to_pretty_json(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)

"""Settings of the HTTP API: defaults, then RECOMMENDER_* environment variables, then the mapping passed in.

Every setting is listed once, in SETTINGS; docs/api.md describes the same table for operators.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from recommender.errors import RecommenderError

MIB = 1024 * 1024


class ConfigError(RecommenderError):
    """A setting has a value the service cannot run with."""


def _int_at_least(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be an integer")
        number = int(str(value).strip()) if not isinstance(value, int) else value
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    return parse


def _positive_number(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def _comma_list(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if str(item).strip())


def _optional_path(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _non_negative_number(value: Any) -> float:
    number = float(value)
    if not 0 <= number < math.inf:
        raise ValueError("must be a number of seconds, 0 (off) or more")
    return number


def _log_level(value: Any) -> str:
    level = str(value).strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _bind(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}|unix:/\S+", text):
        raise ValueError("must be HOST:PORT (or unix:/path)")
    return text


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str


SETTINGS = (
    Setting("RECOMMENDER_BIND", "127.0.0.1:8080", _bind, "Address gunicorn listens on, HOST:PORT."),
    Setting("RECOMMENDER_WORKERS", 2, _int_at_least(1), "gunicorn worker processes."),
    Setting("RECOMMENDER_KNOWLEDGE_PATH", None, _optional_path, "Knowledge base folder (default: shipped)."),
    Setting(
        "RECOMMENDER_POLICY_PATH",
        None,
        _optional_path,
        "Organisation policy file or folder layered on the knowledge base (docs/policy.md; default: none).",
    ),  # fmt: skip
    Setting("RECOMMENDER_MAX_BODY_BYTES", MIB, _int_at_least(1), "Largest request body accepted, in bytes."),
    Setting("RECOMMENDER_MAX_BATCH", 1000, _int_at_least(1), "Most items in one batch request."),
    Setting("RECOMMENDER_CORS_ORIGINS", (), _comma_list, "Origins allowed to call from a browser, or *."),
    Setting("RECOMMENDER_API_KEYS", (), _comma_list, "Bearer keys; when set, /v1 and /metrics need one."),
    Setting("RECOMMENDER_FRAME_ANCESTORS", "'self'", str, "CSP frame-ancestors of the portal page."),
    Setting(
        "RECOMMENDER_EMBED_ORIGINS", (), _comma_list, "Origins whose postMessage requests the portal answers."
    ),
    Setting(
        "RECOMMENDER_RELOAD_INTERVAL",
        0.0,
        _non_negative_number,
        "Seconds between checks of the knowledge base files for a new version (0: only on SIGHUP).",
    ),  # fmt: skip
    Setting(
        "RECOMMENDER_TIMEOUT", 30.0, _positive_number, "Seconds a gunicorn worker may spend on a request."
    ),
    Setting("RECOMMENDER_LOG_LEVEL", "INFO", _log_level, "Level of the JSON log lines on stderr."),
    Setting("RECOMMENDER_TRUST_REQUEST_ID", True, _bool, "Echo a valid client X-Request-ID (else generate)."),
)


def resolve_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The settings of SETTINGS: defaults < environment < overrides, each parsed (ConfigError if invalid)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            raw = overrides[setting.name]
        elif setting.name in environ:
            raw = environ[setting.name]
        else:
            resolved[setting.name] = setting.default
            continue
        try:
            resolved[setting.name] = setting.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{setting.name}={raw!r}: {exc}") from None
    return resolved

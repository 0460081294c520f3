"""Request ids, one JSON access-log line per request, and Prometheus metrics.

Metrics live in a registry of their own per app. With PROMETHEUS_MULTIPROC_DIR set (the container sets it),
prometheus_client's multiprocess mode adds up every gunicorn worker's counts; without it, /metrics shows the
counts of the worker that answered.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from typing import Any

import orjson
from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from api.state import current_kb

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")  # how WSGI passes the header
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
LOGGER_NAME = "recommender"
METRICS_EXTENSION = "recommender_metrics"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "recommender_http_requests_total",
            "HTTP requests answered, by endpoint (route pattern), method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "recommender_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint (route pattern) and status.",
            ["endpoint", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.decisions = Counter(
            "recommender_decisions_total",
            "Recommendations made, by domain and winning option ('none' when every option was excluded).",
            ["domain", "winner"],
            registry=self.registry,
        )

        # Labelled children by label values: prometheus_client's labels() costs more than the increment.
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def count_request(self, endpoint: str, method: str, status: str, seconds: float) -> None:
        self._child(self.requests, endpoint, method, status).inc()
        self._child(self.latency, endpoint, status).observe(seconds)

    def count_decisions(self, document: dict[str, Any]) -> None:
        for domain, answer in document.get("recommendations", {}).items():
            options = answer.get("options") or []
            self._child(self.decisions, domain, options[0]["id"] if options else "none").inc()


def exposition(app_metrics: Metrics) -> bytes:
    """The Prometheus text of this app's metrics, summed over all worker processes in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(app_metrics.registry)


def metrics(app: Flask | None = None) -> Metrics:
    return (app or current_app).extensions[METRICS_EXTENSION]  # type: ignore[no-any-return,unused-ignore]


def request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the request id of the current request on every line."""

    _second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second[0]:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        line: dict[str, Any] = {
            "time": f"{self._second[1]}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (test runners swap it)."""

    recommender_json = True

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(JsonFormatter())

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the 'recommender' loggers; idempotent (apps may be created many times)."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    logger.propagate = False
    if not any(getattr(h, "recommender_json", False) for h in logger.handlers):
        logger.addHandler(StderrHandler())


access_log = logging.getLogger(LOGGER_NAME + ".access")


def _start_request() -> None:
    g.started = time.perf_counter()
    given = request.environ.get(REQUEST_ID_ENVIRON, "")  # (headers.get raises inside when it is absent)
    trusted = current_app.config["RECOMMENDER_TRUST_REQUEST_ID"]
    g.request_id = given if trusted and VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    digest = current_kb().digest
    req = request._get_current_object()  # type: ignore[attr-defined]  # one context lookup, not one per use
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    response.headers["X-Knowledge-Digest"] = digest
    duration = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = req.url_rule.rule if req.url_rule is not None else "unmatched"
    metrics().count_request(endpoint, req.method, str(response.status_code), duration)
    if access_log.isEnabledFor(logging.INFO):
        fields = {
            "method": req.method,
            "path": req.path,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 3),
            "kb_digest": digest,
        }
        # the record made here, not by access_log.info(), which walks the stack for the caller's file and line
        access_log.handle(
            access_log.makeRecord(
                access_log.name,
                logging.INFO,
                __file__,
                0,
                "request",
                (),
                None,
                extra={"fields": fields, "request_id": rid},
            )
        )
    return response


def init_observability(app: Flask) -> None:
    configure_logging(app.config["RECOMMENDER_LOG_LEVEL"])
    app.extensions[METRICS_EXTENSION] = Metrics()
    app.before_request(_start_request)
    app.after_request(_finish_request)

"""gunicorn settings for `recommender serve` and the container: RECOMMENDER_* variables, safe defaults.

python -m gunicorn --config python:api.gunicorn_conf 'api:create_app()'
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from api.config import ConfigError, resolve_settings
from recommender.errors import KnowledgeError
from recommender.knowledge import load_knowledge


def _checked_settings() -> dict[str, Any]:
    """Settings, and the knowledge base checked once here: a problem stops the start with its file:line
    message instead of a traceback from inside gunicorn."""
    try:
        settings = resolve_settings()
        load_knowledge(settings["RECOMMENDER_KNOWLEDGE_PATH"])
    except (ConfigError, KnowledgeError) as exc:
        print(f"recommender: cannot start: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    return settings


_settings = _checked_settings()

bind = [_settings["RECOMMENDER_BIND"]]
workers = _settings["RECOMMENDER_WORKERS"]
worker_class = "sync"
timeout = math.ceil(_settings["RECOMMENDER_TIMEOUT"])
graceful_timeout = 20
keepalive = 5
# Load the app (and its knowledge base) once in the master: a broken knowledge base stops the start with
# its file:line message, and the workers share the loaded pages.
preload_app = True
# Heartbeat files in memory, not on disk: works with a read-only root filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app writes one JSON access-log line per request; gunicorn's own log goes to stderr.
accesslog = None
errorlog = "-"
loglevel = _settings["RECOMMENDER_LOG_LEVEL"].lower()
# No ~/.gunicorn/gunicorn.ctl: one per user would collide between instances, and $HOME may be read-only.
control_socket_disable = True
# Prometheus multiprocess mode (metrics summed over workers) when PROMETHEUS_MULTIPROC_DIR is set.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: Any) -> None:
    """Once, in the master, before any worker: an empty metrics folder (counts of a previous run are stale)."""
    if _metrics_dir:
        os.makedirs(_metrics_dir, exist_ok=True)
        for name in os.listdir(_metrics_dir):
            if name.endswith(".db"):
                os.remove(os.path.join(_metrics_dir, name))


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


limit_request_line = 8190
limit_request_fields = 100

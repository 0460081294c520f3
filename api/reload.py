"""Hot reload of the knowledge base, without dropping a request.

Two triggers, both ending in `reload_knowledge(app, trigger)`, which loads the folder again and swaps the
holder's base only if the new one loads without a problem; otherwise it logs the file:line problems and
the old base keeps serving.

- SIGHUP to the gunicorn master (api/gunicorn_conf.py `on_reload`): the master, which holds the preloaded
  app, reloads; gunicorn then forks fresh workers that inherit the new base and stops the old workers
  gracefully (each finishes the request in hand).
- RECOMMENDER_RELOAD_INTERVAL seconds > 0: a thread in the master compares the fingerprint of the files
  with the one the serving base was read from and, when they differ, sends SIGHUP to the master: the same
  path as above, so every worker switches together and the master (from which any replacement worker is
  forked) never holds an older base than the workers. Paths are resolved anew at every check and only
  contents are compared, so a kubelet ConfigMap update (a `..data` symlink swapped atomically to a new
  folder) is seen like any edit. The thread only reads files and sends a signal: nothing it holds matters
  to a worker forked while it runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask

from api.config import resolve_settings
from api.state import holder
from recommender.errors import KnowledgeError
from recommender.knowledge import DEFAULT_PATH, KnowledgeBase, load_knowledge
from recommender.policy import load_with_policy, policy_files

INTERVAL_SETTING = "RECOMMENDER_RELOAD_INTERVAL"
LOAD_ATTEMPTS = 3
log = logging.getLogger("recommender.reload")


def reload_interval(environ: Mapping[str, str] = os.environ) -> float:
    """RECOMMENDER_RELOAD_INTERVAL in seconds; 0 (the default) turns the file watch off."""
    value: float = resolve_settings(environ=environ)[INTERVAL_SETTING]
    return value


def fingerprint(path: str | os.PathLike[str] | None) -> str:
    """A digest of every file under the folder (names and bytes), symlinks followed, hidden names skipped
    (a kubelet volume keeps its versions in `..data` and `..<timestamp>` folders). OSError if unreadable."""
    root = Path(path) if path is not None else DEFAULT_PATH
    if not root.is_dir():
        raise FileNotFoundError(f"knowledge base folder {root} not found")
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                file = Path(folder, name)
                digest.update(file.relative_to(root).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def source_fingerprint(path: str | None, policy: str | None = None) -> str:
    """The fingerprint of the knowledge base folder and, when one is set, of the policy's files too."""
    if not policy:
        return fingerprint(path)
    digest = hashlib.sha256()
    for file in policy_files(policy):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return f"{fingerprint(path)}+policy:{digest.hexdigest()}"


def load_with_source(path: str | None, policy: str | None = None) -> tuple[KnowledgeBase, str]:
    """The base at `path` (with the policy at `policy` layered on it) and the fingerprint of the files it was
    read from. The files are fingerprinted before and after loading: a load that overlapped a change is tried
    again (it could mix versions)."""
    for _ in range(LOAD_ATTEMPTS):
        before = source_fingerprint(path, policy)
        kb = load_with_policy(load_knowledge(path), policy)
        if source_fingerprint(path, policy) == before:
            return kb, before
    raise OSError(f"the knowledge base files kept changing during {LOAD_ATTEMPTS} loads")


def reload_knowledge(app: Flask, trigger: str) -> bool:
    """Load the app's knowledge base folder again; swap it in if it loads. False (and logged) if rejected."""
    store = holder(app)
    serving = store.kb
    path = app.config.get("RECOMMENDER_KNOWLEDGE_PATH")
    try:
        kb, source = load_with_source(path, app.config.get("RECOMMENDER_POLICY_PATH"))
    except KnowledgeError as exc:
        problems = [str(problem) for problem in exc.problems]
        _log(
            logging.ERROR,
            f"knowledge base rejected, still serving {serving.digest}",
            trigger,
            problems=problems,
        )
        return False
    except Exception as exc:  # an unreadable or vanished folder must not take the server down
        _log(
            logging.ERROR,
            f"knowledge base not reloaded, still serving {serving.digest}",
            trigger,
            error=str(exc),
        )
        return False
    if kb.identity == serving.identity:
        store.replace(serving, source)  # same content (e.g. a comment-free touch): keep the loaded object
        return True
    store.replace(kb, source)
    policy = {"policy": kb.policy.identity} if kb.policy is not None else {}
    _log(
        logging.INFO,
        "knowledge base reloaded",
        trigger,
        previous=serving.digest,
        digest=kb.digest,
        version=kb.version,
        **policy,
    )
    return True


def _log(level: int, message: str, trigger: str, **fields: object) -> None:
    log.log(level, message, extra={"fields": {"trigger": trigger, "pid": os.getpid(), **fields}})


class Watcher:
    """Every `interval` seconds, compares the fingerprint of the files with the one the serving base was read
    from, and calls `on_change` once per new version (gunicorn: SIGHUP to the master itself)."""

    def __init__(self, app: Flask, interval: float, on_change: Callable[[], None]):
        self.app = app
        self.interval = interval
        self.on_change = on_change
        self.announced: str | None = None  # the version (or read error) already acted on: once, not each time
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="knowledge-watcher", daemon=True)

    def check(self) -> None:
        try:
            config = self.app.config
            on_disk = source_fingerprint(
                config.get("RECOMMENDER_KNOWLEDGE_PATH"), config.get("RECOMMENDER_POLICY_PATH")
            )
        except OSError as exc:
            if self.announced != str(exc):
                self.announced = str(exc)
                _log(logging.ERROR, "knowledge base folder unreadable", "file watch", error=str(exc))
            return
        if on_disk not in (holder(self.app).source, self.announced):
            self.announced = on_disk
            _log(logging.INFO, "knowledge base files changed", "file watch", fingerprint=on_disk)
            self.on_change()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.check()
            except Exception:  # a bug here must not stop the watching (nor the server)
                log.exception("knowledge base check failed")

    def stop(self) -> None:
        self.stopped.set()


def start_watching(app: Flask, interval: float, on_change: Callable[[], None]) -> Watcher | None:
    """A daemon thread checking the files every `interval` seconds; None when interval is 0 (off)."""
    if interval <= 0:
        return None
    watcher = Watcher(app, interval, on_change)
    watcher.thread.start()
    return watcher

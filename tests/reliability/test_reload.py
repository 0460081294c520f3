"""Hot reload of the knowledge base (api/reload.py): SIGHUP and the file watch, under load, nothing dropped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from api import create_app
from api.config import ConfigError
from api.reload import Watcher, fingerprint, reload_interval, reload_knowledge
from api.state import holder
from bench.soak import Server, request, serve
from recommender.knowledge import load_knowledge
from tests.conftest import ROOT

PROFILE = json.dumps({"workload": {"kind": "api", "vcpus": 4, "memory_gib": 16}}).encode()
BREAK = ("op: eq", "op: equals")  # orchestrator.yaml: an unknown operator, reported with file:line


def set_version(folder: Path, version: str) -> None:
    manifest = folder / "knowledge.yaml"
    text = manifest.read_text()
    start = text.index('version: "')
    end = text.index('"', start + len('version: "'))
    manifest.write_text(text[:start] + f'version: "{version}' + text[end:])


def break_rules(folder: Path) -> None:
    rules = folder / "orchestrator.yaml"
    rules.write_text(rules.read_text().replace(*BREAK, 1))


def publish(volume: Path, name: str, edit: Callable[[Path], None] = lambda folder: None) -> None:
    """What the kubelet does with a ConfigMap volume: a new `..<name>` folder, then `..data` swapped to it
    atomically; the visible names are symlinks through `..data`."""
    version = volume / f"..{name}"
    shutil.copytree(ROOT / "knowledge", version)
    edit(version)
    for entry in version.iterdir():
        link = volume / entry.name
        if not link.is_symlink():
            link.symlink_to(Path("..data") / entry.name)
    (volume / "..data_tmp").symlink_to(version.name)
    os.replace(volume / "..data_tmp", volume / "..data")


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    publish(folder, "v0")
    return folder


@pytest.fixture
def app(volume: Path) -> Flask:
    return create_app({"TESTING": True, "RECOMMENDER_KNOWLEDGE_PATH": str(volume)})


def test_a_configmap_swap_changes_the_fingerprint_and_reload_serves_it(volume: Path, app: Flask) -> None:
    before = fingerprint(volume)
    publish(volume, "v1", lambda folder: set_version(folder, "2099.1.0"))
    assert fingerprint(volume) != before
    assert reload_knowledge(app, "test")
    assert holder(app).kb.version == "2099.1.0"
    assert holder(app).source == fingerprint(volume)
    assert app.test_client().get("/readyz").json["knowledge_base"]["version"] == "2099.1.0"


def test_a_broken_version_is_rejected_with_file_and_line_and_the_old_one_serves(
    volume: Path, app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    serving = holder(app).kb
    publish(volume, "v1", break_rules)
    assert not reload_knowledge(app, "test")
    assert holder(app).kb is serving
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    rejected = [line for line in logged if line["message"].startswith("knowledge base rejected")]
    assert len(rejected) == 1
    assert serving.digest in rejected[0]["message"]
    assert any(
        "orchestrator.yaml:" in p and "unknown operator 'equals'" in p for p in rejected[0]["problems"]
    )
    client = app.test_client()
    response = client.post("/v1/recommendations", data=PROFILE, content_type="application/json")
    assert response.status_code == 200 and response.headers["X-Knowledge-Digest"] == serving.digest


def test_reloading_unchanged_content_keeps_the_loaded_base(volume: Path, app: Flask) -> None:
    serving = holder(app).kb
    publish(volume, "v1")  # same bytes in a new folder
    assert reload_knowledge(app, "test")
    assert holder(app).kb is serving


def test_a_vanished_folder_is_logged_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", folder)
    app = create_app({"TESTING": True, "RECOMMENDER_KNOWLEDGE_PATH": str(folder)})
    shutil.rmtree(folder)
    assert not reload_knowledge(app, "test")
    assert "knowledge base not reloaded" in capsys.readouterr().err
    assert app.test_client().get("/readyz").status_code == 200


def test_the_watcher_announces_each_new_version_once(volume: Path, app: Flask) -> None:
    changes: list[str] = []
    watcher = Watcher(app, 60, lambda: changes.append(fingerprint(volume)))
    holder(app).replace(holder(app).kb, fingerprint(volume))
    watcher.check()
    assert changes == []  # the files are what is served
    publish(volume, "v1", break_rules)
    watcher.check()
    watcher.check()
    assert len(changes) == 1  # a version is announced once, even if the reload then rejects it
    publish(volume, "v2", lambda folder: set_version(folder, "2099.2.0"))
    watcher.check()
    assert len(changes) == 2 and changes[1] == fingerprint(volume)


@pytest.mark.parametrize(("raw", "seconds"), [("0", 0.0), ("2.5", 2.5), ("60", 60.0)])
def test_reload_interval(raw: str, seconds: float) -> None:
    assert reload_interval({"RECOMMENDER_RELOAD_INTERVAL": raw}) == seconds
    assert reload_interval({}) == 0


@pytest.mark.parametrize("raw", ["-1", "soon", "inf", "nan", ""])
def test_invalid_reload_interval_names_the_setting(raw: str) -> None:
    with pytest.raises(ConfigError, match="RECOMMENDER_RELOAD_INTERVAL"):
        reload_interval({"RECOMMENDER_RELOAD_INTERVAL": raw})


# --- the real server, under load -------------------------------------------------------------------


class Hammer:
    """Client threads posting recommendations until stopped; every answer is kept for checking."""

    def __init__(self, server: Server, threads: int = 4):
        self.server = server
        self.stopped = threading.Event()
        self.answers: list[tuple[int, str, bytes]] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                status, headers, body = request(
                    self.server.port,
                    "POST",
                    "/v1/recommendations",
                    PROFILE,
                    {"Content-Type": "application/json"},
                )
            except OSError as exc:
                self.failures.append(repr(exc))
                continue
            self.answers.append((status, headers.get("x-knowledge-digest", ""), body))

    def served_digests(self) -> list[str]:
        """The digest of each answer, checked: 200, complete JSON, header and body agree."""
        digests = []
        for status, header, body in self.answers:
            assert status == 200, body
            document = json.loads(body)
            assert document["knowledge_base"]["digest"] == header
            digests.append(header)
        return digests


@contextmanager
def hammering(server: Server) -> Iterator[Hammer]:
    hammer = Hammer(server)
    for thread in hammer.threads:
        thread.start()
    try:
        yield hammer
    finally:
        hammer.stopped.set()
        for thread in hammer.threads:
            thread.join(60)


def readyz_digest(server: Server) -> str:
    status, _, body = request(server.port, "GET", "/readyz")
    assert status == 200
    return str(json.loads(body)["knowledge_base"]["digest"])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def served_everywhere(server: Server, digest: str) -> bool:
    # 10 answers in a row with this digest: both workers serve it (each readyz goes to either worker)
    return all(readyz_digest(server) == digest for _ in range(10))


def settle(hammer: Hammer) -> None:
    count = len(hammer.answers) + len(hammer.failures)
    wait_for(lambda: len(hammer.answers) + len(hammer.failures) > count + 20, "answers under load")


@pytest.mark.slow
def test_sighup_reloads_every_worker_under_load_and_rejects_a_broken_version(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    with serve(tmp_path / "serve.log", {"RECOMMENDER_KNOWLEDGE_PATH": str(knowledge)}) as server:
        first = readyz_digest(server)
        with hammering(server) as hammer:
            settle(hammer)
            set_version(knowledge, "2099.1.0")
            second = load_knowledge(knowledge).digest
            os.kill(server.pid, signal.SIGHUP)
            wait_for(lambda: served_everywhere(server, second), "the new digest on every worker")
            settle(hammer)
            break_rules(knowledge)
            os.kill(server.pid, signal.SIGHUP)
            wait_for(lambda: "knowledge base rejected" in server.log_text(), "the rejection in the log")
            settle(hammer)
        assert server.process.poll() is None  # the master survived the broken version
        assert served_everywhere(server, second)
        log = server.log_text()
    assert hammer.failures == []
    digests = hammer.served_digests()
    assert set(digests) == {first, second}
    assert digests.index(second) > 0 and digests[-1] == second
    assert "orchestrator.yaml:" in log and "unknown operator 'equals'" in log
    assert "Traceback" not in log


@pytest.mark.slow
def test_the_file_watch_follows_a_configmap_swap_under_load(volume: Path, tmp_path: Path) -> None:
    env = {"RECOMMENDER_KNOWLEDGE_PATH": str(volume), "RECOMMENDER_RELOAD_INTERVAL": "0.2"}
    with serve(tmp_path / "serve.log", env) as server:
        first = readyz_digest(server)
        with hammering(server) as hammer:
            settle(hammer)
            publish(volume, "v1", lambda folder: set_version(folder, "2099.1.0"))
            second = load_knowledge(volume).digest
            wait_for(lambda: served_everywhere(server, second), "the new digest on every worker")
            settle(hammer)
            publish(volume, "v2", break_rules)
            wait_for(lambda: "knowledge base rejected" in server.log_text(), "the rejection in the log")
            settle(hammer)
        assert server.process.poll() is None
        assert served_everywhere(server, second)
        log = server.log_text()
    assert hammer.failures == []
    assert set(hammer.served_digests()) == {first, second}
    assert log.count("knowledge base rejected") == 1  # announced once, not at every check

"""A short soak of the real server (bench/soak.py): mixed valid and hostile requests, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import drain_on_sigterm, rss_kib, run_load, serve

pytestmark = pytest.mark.slow

# Growth allowed per worker over the measured run, after the warm-up filled the bounded caches.
RSS_GROWTH_KIB = 4 * 1024


def test_mixed_load_gets_only_expected_answers_and_memory_stays_flat(tmp_path: Path) -> None:
    with serve(tmp_path / "serve.log") as server:
        warm = run_load(server.port, total=600, concurrency=4)
        workers = server.worker_pids()
        before = {pid: rss_kib(pid) for pid in workers}
        tally = run_load(server.port, total=3000, concurrency=4)
        after = {pid: rss_kib(pid) for pid in server.worker_pids()}

    assert warm.ok(), warm.summary()
    assert tally.ok(), tally.summary()
    assert tally.total == 3000 and tally.statuses[200] > 1500 and tally.statuses[400] > 200
    assert sorted(after) == workers  # no worker died or was replaced (a timeout or crash would)
    for pid in workers:
        assert after[pid] - before[pid] < RSS_GROWTH_KIB, (before, after)


def test_sigterm_lets_in_flight_requests_finish(tmp_path: Path) -> None:
    with serve(tmp_path / "serve.log") as server:
        statuses = drain_on_sigterm(server)
        assert statuses == [200] * len(statuses) and len(statuses) == 2
        assert server.process.returncode == 0
        assert "Shutting down: Master" in server.log_text()

"""Bounded load test of `recommender serve` (gunicorn, 2 workers) on a loopback port; stops by itself.

    .venv/bin/python -m bench.soak                        # 100,000 mixed requests, 8 client threads
    .venv/bin/python -m bench.soak --requests 5000 --concurrency 4

Sends a fixed mix of valid and invalid requests (recommendations, evaluations, batches, knowledge, health,
malformed and hostile bodies), each with the status it must get, and reports: requests, statuses, 5xx,
connection errors, unexpected statuses, requests/s, VmRSS of each worker after a warm-up and at the end,
and a graceful shutdown check (SIGTERM while slow requests are in flight: all must complete with 200).
Exit code 1 if any check fails. tests/reliability/test_soak.py runs a short version in CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.profiles import full_profile

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `recommender serve`: its master pid, port and the file its stderr goes to."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(log: Path, env: Mapping[str, str] | None = None, workers: int = 2) -> Iterator[Server]:
    """Start `recommender serve` on a free loopback port, wait until /readyz answers, SIGTERM it at the end."""
    port = free_port()
    environment = {
        **os.environ,
        "RECOMMENDER_BIND": f"127.0.0.1:{port}",
        "RECOMMENDER_WORKERS": str(workers),
        **(env or {}),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "recommender.cli", "serve"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    server = Server(process, port, log, workers)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(process, timeout=60)


def stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM a server (gunicorn drains its requests), and kill it if it has not exited within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if (
                request(server.port, "GET", "/readyz")[0] == 200
                and len(server.worker_pids()) == server.workers
            ):
                return
        except OSError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {server.log_text()}")
        time.sleep(0.1)


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None
    content_type: str | None
    expected: int

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}


JSON = "application/json"
YAML = "application/yaml"


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def request_mix(seed: int = 7, profiles: int = 200) -> list[Call]:
    """The fixed mix: ~70% valid requests over `profiles` distinct profiles, the rest invalid or hostile."""
    rng = random.Random(seed)
    full = [full_profile(rng, i) for i in range(profiles)]
    proposal = {
        "name": "load",
        "choices": {"connectivity": "same_vpc"},
        "topology": {
            "vpcs": [{"id": "vpc-a", "cidr": "10.0.0.0/16", "region": "us-east-1"}],
            "subnets": [{"id": "subnet-a", "vpc": "vpc-a", "cidr": "10.0.1.0/24"}],
            "security_groups": [
                {"id": "sg-app", "vpc": "vpc-a", "inbound": []},
                {"id": "sg-db", "vpc": "vpc-a", "inbound": [{"protocol": "tcp", "ports": "5432", "source": "sg-app"}]},
            ],
            "resources": [
                {"id": "app", "type": "ec2", "subnet": "subnet-a", "security_groups": ["sg-app"]},
                {"id": "db", "type": "rds", "engine": "postgres", "port": 5432, "subnet": "subnet-a",
                 "security_groups": ["sg-db"], "stateful": True},
            ],
            "flows": [{"from": "app", "to": "db", "port": 5432}],
        },
    }  # fmt: skip
    calls = [Call("POST", "/v1/recommendations", _json(p), JSON, 200) for p in full]
    calls += [Call("POST", "/v1/recommendations?explain=changes", _json(p), JSON, 200) for p in full[:20]]
    calls += [Call("POST", "/v1/recommendations/batch", _json({"profiles": full[:10]}), JSON, 200)] * 5
    calls += [Call("POST", "/v1/evaluations", _json(proposal), JSON, 200)] * 20
    calls += [Call("GET", path, None, None, 200) for path in ("/healthz", "/readyz", "/v1/knowledge")] * 10
    invalid = [
        Call("POST", "/v1/recommendations", b"{", JSON, 400),
        Call("POST", "/v1/recommendations", b'{"workload": {"vcpus": NaN}}', JSON, 400),
        Call("POST", "/v1/recommendations", b"a: &a [1]\nb: *a\n", YAML, 400),
        Call("POST", "/v1/recommendations", b"[" * 5000 + b"]" * 5000, JSON, 400),
        Call("POST", "/v1/recommendations", b'{"workload": {"vcpus": "many"}}', JSON, 422),
        Call("POST", "/v1/recommendations", b'{"platfrom": {}}', JSON, 422),
        Call("POST", "/v1/recommendations", b"{}", "text/plain", 415),
        Call("POST", "/v1/recommendations?explain=everything", b"{}", JSON, 400),
        Call("POST", "/v1/evaluations", b'{"topology": {"vpcs": [{"id": 1}]}}', JSON, 422),
        Call("GET", "/v1/knowledge/nowhere", None, None, 404),
        Call("DELETE", "/v1/recommendations", None, None, 405),
        Call("GET", "/no/such/path", None, None, 404),
    ]
    calls += invalid * 12
    rng.shuffle(calls)
    return calls


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + sum(self.connection_errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def ok(self) -> bool:
        return not (self.server_errors or self.connection_errors or self.unexpected)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.total,
            "statuses": dict(sorted(self.statuses.items())),
            "server_errors": self.server_errors,
            "connection_errors": dict(self.connection_errors),
            "unexpected": dict(self.unexpected),
            "seconds": round(self.seconds, 1),
            "requests_per_second": round(self.total / self.seconds) if self.seconds else None,
        }


def run_load(port: int, total: int, concurrency: int, calls: list[Call] | None = None) -> Tally:
    """Send `total` requests from the mix over `concurrency` threads; count what came back."""
    calls = calls or request_mix()
    tally = Tally()
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        for index in counter:  # shared iterator: next() on a range iterator is atomic under the GIL
            call = calls[index % len(calls)]
            try:
                status, _, _ = request(port, call.method, call.path, call.body, call.headers())
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    tally.connection_errors[type(exc).__name__] += 1
                continue
            with lock:
                tally.statuses[status] += 1
                if status != call.expected:
                    tally.unexpected[f"{call.method} {call.path} -> {status} (want {call.expected})"] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    tally.seconds = time.perf_counter() - started
    return tally


def slow_batch(size: int = 200) -> bytes:
    rng = random.Random(11)
    return _json({"profiles": [full_profile(rng, i) for i in range(size)]})


def drain_on_sigterm(server: Server, batch_size: int = 200) -> list[int | str]:
    """One slow batch request per worker, SIGTERM to the master while they run: the status of each.

    Only requests a worker has accepted are in flight: gunicorn closes its listening socket on SIGTERM, so
    connections still waiting in the kernel's backlog are reset (the deployment's preStop sleep and load
    balancer deregistration delay keep new ones from arriving; see docs/reliability.md).
    """
    body = slow_batch(batch_size)
    results: list[int | str] = []

    def one() -> None:
        try:
            status = request(server.port, "POST", "/v1/recommendations/batch", body, {"Content-Type": JSON})[
                0
            ]
            results.append(status)
        except (OSError, http.client.HTTPException) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=one) for _ in server.worker_pids()]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # each idle sync worker accepts one of them
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(CLIENT_TIMEOUT)
    server.process.wait(timeout=60)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-soak-{os.getpid()}.log"
    with serve(log, workers=args.workers) as server:
        warm = run_load(server.port, args.warmup, args.concurrency)
        before = {pid: rss_kib(pid) for pid in server.worker_pids()}
        tally = run_load(server.port, args.requests, args.concurrency)
        after = {pid: rss_kib(pid) for pid in server.worker_pids()}
        drained = drain_on_sigterm(server)
        exit_code = server.process.returncode
    report = {
        "warmup": warm.summary(),
        "load": tally.summary(),
        "rss_kib_after_warmup": before,
        "rss_kib_at_end": after,
        "same_workers": sorted(before) == sorted(after),
        "sigterm_in_flight": drained,
        "master_exit_code": exit_code,
    }
    print(json.dumps(report, indent=2))
    passed = warm.ok() and tally.ok() and set(drained) == {200} and exit_code == 0 and report["same_workers"]
    print("PASS" if passed else "FAIL", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

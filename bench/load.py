"""HTTP load measurements: start a gunicorn server on a free loopback port, drive it with wrk, stop it.

Used by bench/run; also runnable alone (floor and recommender side by side):
    .venv/bin/python -m bench.load [--seconds 5] [--profiles 200] [--multiproc]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.soak import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RECOMMENDER = str(ROOT / ".venv" / "bin" / "recommender")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
ROTATE_SCRIPT = str(ROOT / "bench" / "rotate.lua")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def worker_rss_mib(self) -> list[float]:
        return [rss_mib(pid) for pid in self.worker_pids()]

    def workers_cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.worker_pids())


@contextlib.contextmanager
def serve(argv: list[str], env: Mapping[str, str], workers: int = 2, timeout: float = 60) -> Iterator[Server]:
    """Run a gunicorn server (bound by RECOMMENDER_BIND) until /healthz answers; SIGTERM it afterwards."""
    port = free_port()
    inherited = {  # the defaults are measured, not whatever RECOMMENDER_* the caller's shell has set
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECOMMENDER_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    full_env = {
        **inherited,
        **env,
        "RECOMMENDER_BIND": f"127.0.0.1:{port}",
        "RECOMMENDER_WORKERS": str(workers),
    }
    with tempfile.TemporaryFile() as log:  # the JSON access log: written, as in production, then dropped
        process = subprocess.Popen(argv, env=full_env, cwd=ROOT, stdout=log, stderr=log)
        server = Server(process, f"http://127.0.0.1:{port}")

        def tail() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")[-2000:]

        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited with {process.returncode}: {tail()}")
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(server.url + "/healthz", timeout=1).read()
                    if len(server.worker_pids()) >= workers:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer within {timeout} s: {tail()}")
                time.sleep(0.1)
            yield server
        finally:
            stop(process, timeout=30)


def recommender_server(
    env: Mapping[str, str] | None = None, workers: int = 2
) -> contextlib.AbstractContextManager[Server]:
    return serve([RECOMMENDER, "serve"], env or {}, workers)


def floor_server(
    bodies: Path, responses: Path, workers: int = 2, mode: str = "bytes"
) -> contextlib.AbstractContextManager[Server]:
    """The bare Flask floor: precomputed bytes (`bytes`), or the body parsed and the same document
    re-encoded by Flask's JSON provider (`framework`)."""
    argv = [PYTHON, "-m", "gunicorn", "--config", "python:bench.floor_gunicorn_conf", "bench.floor_app:app"]
    env = {"FLOOR_BODIES": str(bodies), "FLOOR_RESPONSES": str(responses), "FLOOR_MODE": mode}
    return serve(argv, env, workers)


@dataclass
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx responses plus socket errors
    server_cpu_ms: float = 0.0  # CPU time of the workers per request

    def __str__(self) -> str:
        return (
            f"{self.requests_per_s:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"{self.requests} requests, {self.bad} not 2xx, {self.server_cpu_ms:.2f} ms worker CPU/request"
        )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _find(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return match


def parse_wrk(output: str) -> LoadResult:
    rate = float(_find(r"Requests/sec:\s+([\d.]+)", output)[1])
    p50 = _find(r"\s50%\s+([\d.]+)(us|ms|s)\b", output)
    p99 = _find(r"\s99%\s+([\d.]+)(us|ms|s)\b", output)
    total = int(_find(r"(\d+) requests in", output)[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = (int(non_2xx[1]) if non_2xx else 0) + (sum(int(n) for n in errors.groups()) if errors else 0)
    return LoadResult(rate, _ms(p50[1], p50[2]), _ms(p99[1], p99[2]), total, bad)


def wrk(
    server: Server, path: str, bodies: Path, seconds: float, connections: int = 4, accept_encoding: str = ""
) -> LoadResult:
    """POST the bodies in rotation for `seconds` (wrk stops by itself); one wrk thread. With
    `accept_encoding`, every request sends that Accept-Encoding header."""
    cmd = [
        WRK,
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        ROTATE_SCRIPT,
        server.url + path,
    ]
    cpu_before = server.workers_cpu()
    done = subprocess.run(
        cmd, env={**os.environ, "BENCH_BODIES": str(bodies), "BENCH_ACCEPT_ENCODING": accept_encoding},
        capture_output=True, text=True,
        check=True, timeout=seconds + 60,
    )  # fmt: skip
    result = parse_wrk(done.stdout)
    result.server_cpu_ms = (server.workers_cpu() - cpu_before) / max(result.requests, 1) * 1000
    return result


def write_bodies(documents: list[Any], folder: Path) -> tuple[Path, Path]:
    """One compact JSON body per line, and the recommender's answer to it on the same line of a second file."""
    from recommender.engine import recommend
    from recommender.knowledge import load_knowledge
    from recommender.serialize import to_json

    kb = load_knowledge()
    bodies, responses = folder / "bodies.jsonl", folder / "responses.jsonl"
    with bodies.open("wb") as b, responses.open("wb") as r:
        for document in documents:
            b.write(orjson.dumps(document) + b"\n")
            r.write(to_json(recommend(document, kb)) + b"\n")
    return bodies, responses


def check_same_bytes(
    server: Server, bodies: Path, responses: Path, count: int = 5, same_document: bool = False
) -> None:
    """The server answers the first bodies with exactly the expected bytes, or with `same_document` the same
    JSON document (a floor that answers something else is no floor)."""
    with bodies.open("rb") as b, responses.open("rb") as r:
        for _, body, expected in zip(range(count), b, r, strict=False):
            req = urllib.request.Request(
                server.url + "/v1/recommendations", data=body.rstrip(b"\n"),
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            got, want = urllib.request.urlopen(req, timeout=30).read(), expected.rstrip(b"\n")
            if (json.loads(got) != json.loads(want)) if same_document else got != want:
                raise RuntimeError(f"{server.url} answered another document than the recommender")


def main() -> None:
    from bench.profiles import profiles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--multiproc", action="store_true", help="PROMETHEUS_MULTIPROC_DIR set, as in the image"
    )
    parser.add_argument(
        "--accept-encoding", action="append", default=[], metavar="VALUE",
        help="also load the recommender with this Accept-Encoding header (repeatable), e.g. zstd or gzip",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bodies, responses = write_bodies(profiles(args.profiles), folder)
        env = {}
        if args.multiproc:
            (folder / "metrics").mkdir()
            env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "metrics")
        with floor_server(bodies, responses) as floor:
            check_same_bytes(floor, bodies, responses)
            print("floor      ", wrk(floor, "/v1/recommendations", bodies, args.seconds, args.connections))
        with floor_server(bodies, responses, mode="framework") as floor:
            check_same_bytes(floor, bodies, responses, same_document=True)
            print("framework  ", wrk(floor, "/v1/recommendations", bodies, args.seconds, args.connections))
        with recommender_server(env) as app:
            check_same_bytes(app, bodies, responses)
            print("recommender", wrk(app, "/v1/recommendations", bodies, args.seconds, args.connections))
            for encoding in args.accept_encoding:
                result = wrk(app, "/v1/recommendations", bodies, args.seconds, args.connections, encoding)
                print(f"  Accept-Encoding: {encoding}", result)
            print("worker RSS MiB", [round(x, 1) for x in app.worker_rss_mib()])
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

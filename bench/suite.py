"""Every performance figure of the recommender in one table; see bench/run (the command to use).

Sections: in-process (recommend and evaluate: engine alone, with validation, with JSON), HTTP (wrk against
`recommender serve` and the bare Flask floor side by side), batches (10,000 proposals through the CLI and
/v1/evaluations/batch), start-up (CLI cold start, knowledge base load, RSS per worker).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench import load
from bench.profiles import profiles
from recommender import ENGINE_BUILD

ROOT = load.ROOT
MEASURE_RSS = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)


@dataclass
class Row:
    section: str
    name: str
    value: str
    target: str = ""
    met: bool | None = None


ROWS: list[Row] = []


def add(section: str, name: str, value: str, target: str = "", met: bool | None = None) -> None:
    ROWS.append(Row(section, name, value, target, met))
    print(f"  {name}: {value}", file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def cpu_samples(fn: Callable[[Any], Any], items: list[Any], calls: int) -> list[float]:
    """CPU time (time.process_time) of each call, after one warm-up pass over the items."""
    for item in items:
        fn(item)
    samples = []
    for i in range(calls):
        item = items[i % len(items)]
        start = time.process_time()
        fn(item)
        samples.append(time.process_time() - start)
    return samples


def timed(section: str, name: str, samples: list[float], target_s: float | None = None) -> None:
    p50, p99 = percentiles(samples)
    target = f"median <= {target_s * 1e6:,.0f} µs" if target_s else ""
    add(section, name, f"median {p50 * 1e6:,.0f} µs, p99 {p99 * 1e6:,.0f} µs", target,
        p50 <= target_s if target_s else None)  # fmt: skip


def in_process(calls: int) -> None:
    from bench.bench_evaluate import make_proposal
    from recommender.documents import load_json
    from recommender.engine import recommend
    from recommender.evaluation import evaluate, load_proposal
    from recommender.knowledge import load_knowledge
    from recommender.profile import load_profile
    from recommender.serialize import to_json

    kb = load_knowledge()
    section = "in-process recommend (full profile)"
    docs = profiles(200)
    bodies = [to_json(d) for d in docs]
    loaded = [load_profile(d) for d in docs]
    timed(section, "engine alone (validated profile in)", cpu_samples(lambda p: recommend(p, kb), loaded, calls),
          300e-6)  # fmt: skip
    timed(section, "validation + engine", cpu_samples(lambda d: recommend(load_profile(d), kb), docs, calls))
    timed(section, "JSON body -> validation -> engine -> JSON bytes",
          cpu_samples(lambda b: to_json(recommend(load_profile(load_json(b)), kb)), bodies, calls))  # fmt: skip

    section = "in-process evaluate (~10 groups, 5 resources, 3 flows)"
    today = date(2026, 1, 1)
    proposals = [json.loads(json.dumps(make_proposal(i))) for i in range(500)]
    ready = [load_proposal(p, finding_ids=kb.findings) for p in proposals]
    timed(section, "evaluation alone (validated proposal in)",
          cpu_samples(lambda p: evaluate(p, kb, today=today), ready, calls))  # fmt: skip
    timed(section, "validation + evaluation",
          cpu_samples(lambda d: evaluate(load_proposal(d, finding_ids=kb.findings), kb, today=today),
                      proposals, calls), 1e-3)  # fmt: skip
    proposal_bodies = [to_json(p) for p in proposals]
    timed(section, "JSON body -> validation -> evaluation -> JSON bytes",
          cpu_samples(lambda b: to_json(evaluate(load_proposal(load_json(b), finding_ids=kb.findings), kb,
                                                 today=today)), proposal_bodies, calls))  # fmt: skip


def http(seconds: float, folder: Path) -> None:
    section = "HTTP POST /v1/recommendations (wrk, 1 thread, 4 connections, 2 sync workers)"
    bodies, responses = load.write_bodies(profiles(200), folder)
    metrics_dir = folder / "metrics"
    metrics_dir.mkdir()
    runs: dict[str, list[load.LoadResult]] = {"floor": [], "framework": [], "app": [], "app+multiproc": []}
    rss: list[float] = []
    for _ in range(2):  # alternate, so that a burst of load from elsewhere hits both sides
        with load.floor_server(bodies, responses) as floor:
            load.check_same_bytes(floor, bodies, responses)
            runs["floor"].append(load.wrk(floor, "/v1/recommendations", bodies, seconds))
        with load.floor_server(bodies, responses, mode="framework") as floor:
            load.check_same_bytes(floor, bodies, responses, same_document=True)
            runs["framework"].append(load.wrk(floor, "/v1/recommendations", bodies, seconds))
        with load.recommender_server() as app:
            load.check_same_bytes(app, bodies, responses)
            runs["app"].append(load.wrk(app, "/v1/recommendations", bodies, seconds))
            rss += app.worker_rss_mib()
        with load.recommender_server({"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}) as app:
            runs["app+multiproc"].append(load.wrk(app, "/v1/recommendations", bodies, seconds))
    best = {name: max(results, key=lambda r: r.requests_per_s) for name, results in runs.items()}
    labels = {
        "floor": "bare Flask floor (precomputed bytes)",
        "framework": "framework floor (bare Flask: parses the body, re-encodes the same document with Flask's JSON provider)",
        "app": "recommender serve",
        "app+multiproc": "recommender serve, PROMETHEUS_MULTIPROC_DIR set (as the image)",
    }
    for name, result in best.items():
        add(section, labels[name], str(result), "0 not 2xx", sum(r.bad for r in runs[name]) == 0)
    for name in ("app", "app+multiproc"):
        ratio = best[name].requests_per_s / best["floor"].requests_per_s
        add(section, f"throughput ratio {name} / floor", f"{ratio:.2f}", ">= 0.70", ratio >= 0.7)
        ratio = best[name].requests_per_s / best["framework"].requests_per_s
        add(section, f"throughput ratio {name} / framework floor", f"{ratio:.2f}", ">= 0.80", ratio >= 0.8)
    # Less sensitive to load from other processes than requests/s: what one request costs the workers.
    cpu = min(r.server_cpu_ms for r in runs["floor"]) / min(r.server_cpu_ms for r in runs["app"])
    add(section, "worker CPU per request, floor / app", f"{cpu:.2f}")
    add("start-up and memory", "RSS per gunicorn worker after the load run",
        f"max {max(rss):.0f} MiB ({', '.join(f'{x:.0f}' for x in rss)})", "<= 80 MiB", max(rss) <= 80)  # fmt: skip


def peak_rss_run(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of one command, measured by a fresh Python parent."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE_RSS, *argv], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    rss_kib, code = done.stdout.split()
    return wall, int(rss_kib) / 1024, int(code)


def write_proposals(path: Path, count: int) -> None:
    from bench.bench_evaluate import make_proposal

    with path.open("w") as out:
        out.write("[")
        for i in range(count):
            out.write(("," if i else "") + json.dumps(make_proposal(i)))
        out.write("]")


def batches(count: int, folder: Path) -> None:
    from bench.bench_evaluate import make_proposal

    section = f"batch of {count:,} proposals"
    small, big = folder / "small.json", folder / "big.json"
    write_proposals(small, count // 10)
    write_proposals(big, count)
    evaluate = [load.RECOMMENDER, "evaluate", "--format", "json"]
    _, small_rss, _ = peak_rss_run([*evaluate, str(small)])
    wall, rss, code = peak_rss_run([*evaluate, str(big)])
    add(section, "recommender evaluate (one JSON list file, --format json)",
        f"{wall:.1f} s wall, peak RSS {rss:.0f} MiB, exit {code}", "<= 10 s, <= 300 MiB",
        wall <= 10 and rss <= 300)  # fmt: skip
    add(section, f"peak RSS for {count // 10:,} vs {count:,} proposals (streaming: flat)",
        f"{small_rss:.0f} MiB vs {rss:.0f} MiB", "flat", rss <= small_rss * 1.5)  # fmt: skip

    chunk = 1000
    bodies = []
    for start in range(0, count, chunk):
        items = [make_proposal(i) for i in range(start, min(start + chunk, count))]
        bodies.append(json.dumps({"proposals": items}).encode())
    env = {"RECOMMENDER_MAX_BODY_BYTES": str(max(len(b) for b in bodies) + 1024)}

    def post(url: str, body: bytes) -> None:
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as answer:
            summary = json.loads(answer.read())["summary"]
        if summary["errors"] or summary["total"] != chunk and summary["total"] != count % chunk:
            raise RuntimeError(f"unexpected batch summary {summary}")

    with load.recommender_server(env) as app:
        url = app.url + "/v1/evaluations/batch"
        for parallel in (1, 2):
            begin = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                list(pool.map(lambda body: post(url, body), bodies))
            wall = time.perf_counter() - begin
            rss = app.worker_rss_mib()
            how = "in turn" if parallel == 1 else f"{parallel} at a time (one per worker)"
            add(section, f"POST /v1/evaluations/batch, {len(bodies)} chunks of {chunk}, {how}",
                f"{wall:.1f} s wall, worker RSS after {max(rss):.0f} MiB", "<= 10 s, <= 300 MiB",
                wall <= 10 and max(rss) <= 300)  # fmt: skip


def startup(runs: int, folder: Path) -> None:
    from recommender.knowledge import load_knowledge
    from recommender.serialize import to_json

    section = "start-up and memory"
    loads = []
    for _ in range(runs):
        start = time.process_time()
        load_knowledge()
        loads.append(time.process_time() - start)
    add(section, "knowledge base load (in process, CPU)", f"median {statistics.median(loads) * 1000:.0f} ms",
        "<= 100 ms", statistics.median(loads) <= 0.1)  # fmt: skip
    profile = folder / "profile.json"
    profile.write_bytes(to_json(profiles(1)[0]))
    cold = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([load.RECOMMENDER, "recommend", str(profile), "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        cold.append(time.perf_counter() - start)
    best, median = min(cold), statistics.median(cold)
    add(section, "CLI cold start: recommender recommend FILE --format json (wall)",
        f"median {median:.2f} s, best {best:.2f} s", "<= 0.5 s", median <= 0.5)  # fmt: skip


def machine() -> list[str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return [f"nproc {os.cpu_count()}, CPU {model}, Python {platform.python_version()}, "
            f"commit {commit.stdout.strip() or '?'}, engine {ENGINE_BUILD} (recommender/compiled.py)"]  # fmt: skip


def table(rows: Iterable[Row]) -> str:
    lines = ["| section | measurement | figure | target | met |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.section} | {row.name} | {row.value} | {row.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, 2 s load runs, 2,000 proposals")
    parser.add_argument("--only", choices=["inprocess", "http", "batch", "startup"], action="append",
                        help="run only these sections (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    sections = args.only or ["inprocess", "http", "batch", "startup"]
    quick = args.quick
    header = machine()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp)
        if "inprocess" in sections:
            print("in-process ...", file=sys.stderr)
            in_process(500 if quick else 3000)
        if "http" in sections and not os.access(load.WRK, os.X_OK):
            add("HTTP", "wrk", f"{load.WRK} is missing: apt-get install -y wrk", "", False)
        elif "http" in sections:
            print("HTTP ...", file=sys.stderr)
            http(2 if quick else 5, folder)
        if "batch" in sections:
            print("batches ...", file=sys.stderr)
            batches(2000 if quick else 10000, folder)
        if "startup" in sections:
            print("start-up ...", file=sys.stderr)
            startup(5 if quick else 10, folder)
    load_after = os.getloadavg()
    print("\n".join(header))
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}"
          f"{' (--quick)' if quick else ''}\n")  # fmt: skip
    print(table(ROWS))
    return 0


if __name__ == "__main__":
    sys.exit(main())

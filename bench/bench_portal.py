"""Time to the first answer in the portal, in Debian's chromium (not part of CI: timings belong here).

    .venv/bin/python bench/bench_portal.py [--runs 5] [--latency 0 40]

Opens a shared link (`/#profile=...`, the way people hand results around) against the app under gunicorn
(one sync worker, as in the browser tests) and measures, from the start of the navigation to the moment the
result's summary is on the page (`performance.now()` in the first frame after it is inserted, seen by a
MutationObserver the bench injects before the page's scripts):
  - cold: a new browser context (empty cache);
  - warm: a new tab in the same context (what a second visit finds in the cache).
Each with the given added round-trip latencies (ms; Chrome's network emulation), to show what the number of
sequential round trips costs a remote user. Also the end of the last response fetched before the answer (the
network's share of the wait; the rest is building the page), and the requests the server answered for the
last load (from its access log) with their statuses (304: revalidated). Prints a markdown table; exits 0.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
PROFILE = {
    "name": "orders-api",
    "team": {"kubernetes_experience": "expert", "existing_platform": "kubernetes"},
    "platform": {"kubernetes_ecosystem": True},
    "workload": {"kind": "api", "vcpus": 4, "memory_gib": 16},
}
ANSWERED = "() => window.__answered !== undefined"
# Injected before the page's own scripts: the moment the summary is inserted, then the next frame (painted).
WATCH = """new MutationObserver((_, observer) => {
  if (document.querySelector('#result .summary')) {
    observer.disconnect();
    requestAnimationFrame(() => { window.__answered = performance.now(); });
  }
}).observe(document, {childList: true, subtree: true});"""


def shared_link(url: str) -> str:
    return url + "/#profile=" + base64.urlsafe_b64encode(json.dumps(PROFILE).encode()).decode().rstrip("=")


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", '%(m)s %(U)s %(s)s', "api:create_app()"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.1)


# The end of the last response fetched before the answer (the HTML included): the network's share of the wait.
NETWORK_DONE = """(answer) => Math.max(performance.getEntriesByType("navigation")[0].responseEnd,
  ...performance.getEntriesByType("resource").filter(e => e.startTime < answer).map(e => e.responseEnd))"""


def load(page: Any, url: str, latency: float, log: Path) -> tuple[float, float, list[str]]:
    """Milliseconds from navigation start to the first answer and to the end of the last response it needed,
    and the requests the server answered."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    before = log.stat().st_size
    page.add_init_script(WATCH)
    page.goto(url)
    page.wait_for_function(ANSWERED, timeout=30000)
    elapsed = float(page.evaluate("window.__answered"))
    network = float(page.evaluate(NETWORK_DONE, elapsed))
    time.sleep(0.2)  # the access log line of the last request
    with log.open() as f:
        f.seek(before)
        requests = [line.strip() for line in f if line.strip()]
    return elapsed, network, requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, nargs="+", default=[0, 40])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "access.log"
        log.touch()
        server, url = start_server(log)
        rows = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                link = shared_link(url)
                warmup = browser.new_context()
                load(warmup.new_page(), link, 0, log)  # the server's first answers (imports, caches)
                warmup.close()
                for latency in args.latency:
                    runs: dict[str, list[tuple[float, float, list[str]]]] = {"cold": [], "warm": []}
                    for _ in range(args.runs):
                        context = browser.new_context()
                        runs["cold"].append(load(context.new_page(), link, latency, log))
                        runs["warm"].append(load(context.new_page(), link, latency, log))
                        context.close()
                    for name, measured in runs.items():
                        rows.append((latency, name, statistics.median(m[0] for m in measured),
                                     statistics.median(m[1] for m in measured), measured[-1][2]))  # fmt: skip
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        "| added RTT | cache | first answer (median) | its last response (median) | requests to the server |"
    )
    print("| --- | --- | --- | --- | --- |")
    for latency, name, ms, network, requests in rows:
        revalidated = sum(1 for r in requests if r.endswith(" 304"))
        listed = ", ".join(r.rsplit(" ", 1)[0].split(" ", 1)[1] + (" (304)" if r.endswith(" 304") else "")
                           for r in requests)  # fmt: skip
        print(
            f"| {latency:g} ms | {name} | {ms:.0f} ms | {network:.0f} ms | {len(requests)} ({revalidated} "
            f"revalidated): {listed} |"
        )


if __name__ == "__main__":
    main()

"""Browser tests of the portal: the real app under gunicorn, Debian's chromium driven by Playwright.

Two small host pages on other loopback origins embed the portal: one allowed to talk to it by
postMessage, one not. Every request the browser makes off the loopback address is aborted and fails
the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bench.soak import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = ROOT / "test-output" / "portal"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


HOST_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host portal</title></head>
<body><h1>A host portal</h1><div id="slot"></div></body></html>"""


class HostPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(HOST_PAGE)))
        self.end_headers()
        self.wfile.write(HOST_PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def host_origins() -> Iterator[dict[str, str]]:
    """Two host pages: "allowed" is in the portal's embed allow-list, "refused" is not."""
    servers = {name: ThreadingHTTPServer(("127.0.0.1", 0), HostPage) for name in ("allowed", "refused")}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    yield {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def portal_url(host_origins: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    # The server's log (one access line per request) goes to a file: a pipe nobody reads fills up after
    # 64 KiB and then blocks the single worker on its next log line, stalling every later test.
    log_path = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    log = log_path.open("wb")
    env = {
        **os.environ,
        "RECOMMENDER_EMBED_ORIGINS": host_origins["allowed"],
        "RECOMMENDER_FRAME_ANCESTORS": "'self' " + " ".join(host_origins.values()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{port}",
         "api:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = log_path.read_text(errors="replace")
                    pytest.fail(f"gunicorn did not become ready:\n{stderr[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright launches Debian's chromium (never `playwright install`)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def offsite_requests(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """In browser tests, abort and record every request to a host other than the loopback address."""
    seen: list[str] = []
    if request.node.get_closest_marker("browser") is None:
        yield seen
        return
    context = request.getfixturevalue("context")

    def guard(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("http://", "https://", "ws://", "wss://")) and host not in LOOPBACK:
            seen.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    yield seen
    assert seen == [], f"the page requested off-host URLs: {seen}"


@pytest.fixture
def screenshot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return save


@pytest.fixture(scope="session")
def base_url(portal_url: str) -> str:
    """Replaces pytest-base-url's fixture (a deprecated instance-method fixture under pytest 9)."""
    return portal_url

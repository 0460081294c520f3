"""`recommender serve [--bind HOST:PORT] [--workers N]`: the HTTP API under gunicorn."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from recommender.cli.common import EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API under gunicorn")
    serve.add_argument("--bind", metavar="HOST:PORT", help="address to listen on (default 127.0.0.1:8080)")
    serve.add_argument("--workers", type=int, metavar="N", help="worker processes (default 2)")
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.bind:
        env["RECOMMENDER_BIND"] = args.bind
    if args.workers:
        env["RECOMMENDER_WORKERS"] = str(args.workers)
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf", "api:create_app()"]
    os.execve(sys.executable, argv, env)
    return EXIT_OK  # pragma: no cover - execve does not return

"""The engine is a pure library: it imports neither the web stack nor the API package."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import sys
import recommender, recommender.engine, recommender.knowledge, recommender.profile, recommender.cli
from recommender.cli import build_parser
build_parser()
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'api', 'flask_smorest', 'gunicorn', 'werkzeug', 'boto3', 'moto'})
print(','.join(heavy))
"""


def test_engine_and_cli_do_not_import_the_web_stack() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == ""

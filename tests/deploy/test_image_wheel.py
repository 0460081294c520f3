"""The container image's wheel, built outside Docker the way the Dockerfile's build stage builds it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

ANSWER = """
import recommender
from bench.profiles import profiles
from recommender.serialize import to_json
kb = recommender.load_knowledge()
print(recommender.ENGINE_BUILD, recommender.engine.__file__)
print(to_json(recommender.recommend(profiles(1, seed=5)[0], kb)).decode())
"""


def dockerfile_wheel_command() -> str:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return next(line for line in text.splitlines() if "pip wheel" in line)


def test_the_build_context_admits_everything_the_dockerfile_copies() -> None:
    admitted = {
        line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line[:1] == "!"
    }
    copied = {
        source.rstrip("/")
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    }
    assert copied and copied <= admitted, copied - admitted


@pytest.mark.slow
def test_the_images_wheel_holds_the_compiled_modules_and_answers_the_same(tmp_path: Path) -> None:
    command = dockerfile_wheel_command()
    assert "RECOMMENDER_COMPILE=1" in command and "--no-build-isolation" in command
    # the Dockerfile's build venv holds requirements.txt and requirements-build.txt, as .venv does
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps",
         "--wheel-dir", str(tmp_path / "wheels"), "."],
        cwd=ROOT, env={**os.environ, "RECOMMENDER_COMPILE": "1"}, check=True, capture_output=True,
    )  # fmt: skip
    wheel = next((tmp_path / "wheels").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {"recommender/engine.py", "knowledge/knowledge.yaml"} <= set(names)
    assert any(name.startswith("recommender/engine.") and name.endswith(".so") for name in names)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "profiles.py").write_text((ROOT / "bench" / "profiles.py").read_text())

    def answer(path: Path, **environ: str) -> list[str]:
        env = {**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{tmp_path}", **environ}
        done = subprocess.run(
            [sys.executable, "-P", "-c", ANSWER],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.splitlines()

    installed = answer(site)
    assert installed[0].startswith(f"compiled {site}")
    assert installed[1] == answer(ROOT, RECOMMENDER_PURE="1")[1]  # the interpreted checkout's bytes

"""The compiled core (recommender/compiled.py): used only when built from the very sources, and answering and
evaluating with the same bytes as the interpreted modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from recommender.compiled import STAMP, checkout_build, sources_digest
from tests.conftest import ROOT

# Answers to generated profiles (plain, explained, with a data set) and evaluations of generated proposals as
# one digest, and the engine that gave them.
ANSWERS = """
import datetime, hashlib, random
import recommender
from bench.bench_evaluate import make_proposal
from bench.profiles import profiles
from recommender.evaluation import evaluate, load_proposal
from recommender.serialize import to_json
kb = recommender.load_knowledge()
digest = hashlib.sha256()
for index, profile in enumerate(profiles(120, seed=23)):
    if index % 3 == 0:
        profile["workload"]["dataset_gib"] = random.Random(index).choice([0.5, 12, 300])
    explain = "changes" if index % 4 == 0 else None
    digest.update(to_json(recommender.recommend(profile, kb, explain=explain)))
for index in range(60):
    proposal = load_proposal(make_proposal(index), finding_ids=kb.findings)
    digest.update(to_json(evaluate(proposal, kb, today=datetime.date(2026, 1, 1))))
print(recommender.ENGINE_BUILD, digest.hexdigest())
"""


def answers(**environ: str) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RECOMMENDER_PURE"} | environ
    done = subprocess.run(
        [sys.executable, "-c", ANSWERS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    engine, digest = done.stdout.split()
    return engine, digest


def test_compiled_and_interpreted_modules_give_the_same_bytes() -> None:
    compiled, interpreted = answers(), answers(RECOMMENDER_PURE="1")
    assert compiled[0] == "compiled", "no compiled build of these sources: run scripts/compile (setup does)"
    assert interpreted[0] == "interpreted"
    assert compiled[1] == interpreted[1]


def package(tmp_path: Path) -> Path:
    source = tmp_path / "recommender"
    source.mkdir(parents=True)
    (source / "engine.py").write_text("ANSWER = 1\n")
    build = tmp_path / "build" / "compiled" / "recommender"
    build.mkdir(parents=True)
    (build / STAMP).write_text(sources_digest(source) + "\n")
    return source


def test_a_checkout_uses_the_build_of_its_own_sources(tmp_path: Path) -> None:
    source = package(tmp_path)
    assert checkout_build(source, {}) == tmp_path / "build" / "compiled" / "recommender"


def test_an_edited_added_or_removed_source_runs_interpreted_until_compiled_again(tmp_path: Path) -> None:
    source = package(tmp_path)
    (source / "engine.py").write_text("ANSWER = 2\n")
    assert checkout_build(source, {}) is None
    source = package(tmp_path / "added")
    (source / "new.py").write_text("")
    assert checkout_build(source, {}) is None
    source = package(tmp_path / "removed")
    (source / "engine.py").unlink()
    assert checkout_build(source, {}) is None


def test_recommender_pure_or_no_build_runs_interpreted(tmp_path: Path) -> None:
    source = package(tmp_path)
    assert checkout_build(source, {"RECOMMENDER_PURE": "1"}) is None
    (tmp_path / "build" / "compiled" / "recommender" / STAMP).unlink()
    assert checkout_build(source, {}) is None

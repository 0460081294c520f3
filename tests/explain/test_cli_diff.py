"""`recommender diff`: two profiles, or one profile on two knowledge bases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from recommender.cli import main
from tests.conftest import ROOT

BEFORE = "name: a\nteam: {kubernetes_experience: some, ops_capacity: dedicated}\nplatform: {}\n"
AFTER = "name: b\nteam: {kubernetes_experience: expert}\nplatform: {kubernetes_ecosystem: true}\n"


@pytest.fixture()
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "a.yaml").write_text(BEFORE)
    (tmp_path / "b.yaml").write_text(AFTER)
    return str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")


def test_diff_two_profiles_as_json_and_table(
    files: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", *files, "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["domains"]["orchestrator"]["winner"] == {"before": "ecs", "after": "eks"}
    assert main(["diff", *files]) == 0
    out = capsys.readouterr().out
    assert "orchestrator: ecs -> eks" in out and "started firing: ORC-002" in out


def test_diff_exit_code_flags_a_changed_winner(files: tuple[str, str]) -> None:
    assert main(["diff", *files, "--exit-code"]) == 1
    assert main(["diff", files[0], files[0], "--exit-code"]) == 0


def test_diff_two_knowledge_bases(
    files: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "knowledge", tmp_path / "new")
    rules = tmp_path / "new" / "orchestrator.yaml"
    rules.write_text(
        rules.read_text().replace(
            "    score: 15\n    priority: fit\n", "    score: 25\n    priority: fit\n", 1
        )
    )
    assert (
        main(
            [
                "diff",
                "--kb",
                str(ROOT / "knowledge"),
                "--kb",
                str(tmp_path / "new"),
                files[1],
                "--format",
                "json",
            ]
        )
        == 0
    )
    diff = json.loads(capsys.readouterr().out)
    assert {"rule": "ORC-002", "option": "eks", "before": 15.0, "after": 25.0} in diff["domains"][
        "orchestrator"
    ]["impact_changes"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["one.yaml"], "diff takes two profiles"),
        (["--kb", "x", "--kb", "y", "a", "b"], "takes one profile"),
        (["--kb", "x", "--kb", "y", "--kb", "z", "a"], "at most twice"),
    ],
)
def test_diff_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["diff", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_diff_bad_profile_names_file_and_field(
    files: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("workload: {kind: web, vcpus: 0}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["diff", files[0], str(bad)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "bad.yaml" in err and "workload.vcpus" in err and "Traceback" not in err

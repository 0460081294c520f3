"""How much real infrastructure code reaches a verdict: import + evaluate every file of a corpus.

    .venv/bin/python bench/corpus.py [DIR]        # default: tests/importers/corpus

Each file is imported (`--from cfn`, or `terraform` for *.tfplan.json) and evaluated in-process, the way
`recommender evaluate --from cfn FILE` does it. Every file ends in one of three classes:
evaluated (a verdict), refused (an InputError naming the file and what is unsupported; exit 2 in the CLI)
or crashed (any other exception: a bug). Prints a markdown table per class and the refusals.
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommender.errors import InputError  # noqa: E402
from recommender.evaluation.evaluate import evaluate  # noqa: E402
from recommender.evaluation.proposal import load_proposal  # noqa: E402
from recommender.importers import import_source  # noqa: E402
from recommender.knowledge import load_knowledge  # noqa: E402

CORPUS = ROOT / "tests" / "importers" / "corpus"


def classify(path: Path, kb: object) -> tuple[str, str]:
    """('evaluated', verdict) | ('refused', message) | ('crashed', traceback's last line)."""
    kind = "terraform" if path.name.endswith(".tfplan.json") else "cfn"
    try:
        proposal = import_source(kind, str(path))
        result = evaluate(load_proposal(proposal, finding_ids=kb.findings), kb)  # type: ignore[attr-defined]
    except InputError as exc:
        return "refused", exc.describe().replace("\n", "; ")
    except Exception:  # noqa: BLE001 - what the benchmark is for
        return "crashed", traceback.format_exc().strip().splitlines()[-1]
    return "evaluated", str(result["verdict"])


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    kb = load_knowledge()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json", ".template"))
    outcomes = {path.name: classify(path, kb) for path in files}
    counts = Counter(kind for kind, _ in outcomes.values())
    total = len(outcomes)
    print("| outcome | files | share |\n| --- | --- | --- |")
    for kind in ("evaluated", "refused", "crashed"):
        print(f"| {kind} | {counts[kind]} | {100 * counts[kind] / max(total, 1):.0f}% |")
    for name, (kind, detail) in outcomes.items():
        if kind != "evaluated":
            print(f"- {kind}: {name}: {detail[:300]}")
    return 1 if counts["crashed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

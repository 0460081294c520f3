"""The engine's hot modules compiled with mypyc (docs/performance.md, "The framework floor").

A wheel built with RECOMMENDER_COMPILE=1 (the container image's) holds each compiled module beside its source
and Python imports the compiled one. A source checkout keeps them in build/compiled/ (`scripts/compile`, which
setup runs) with the digest of the sources they were built from, and uses them only while every source of the
package is unchanged: edit one and the interpreted modules run until the next `scripts/compile`.
RECOMMENDER_PURE=1 runs the interpreted modules of a checkout regardless. Both give the same bytes (tested).
Subpackages with compiled modules (explain, evaluation) call use_checkout_build too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, MutableSequence
from pathlib import Path

MODULES = (
    "engine",
    "cost",
    "plan",
    "conditions",
    "profile",
    "loader",
    "explain/scorer",
    "explain/levers",
    "explain/tipping",
    "evaluation/proposal",
    "evaluation/reachability",
    "evaluation/checks",
    "evaluation/evaluate",
    "evaluation/choices",
)
STAMP = "SOURCES.sha256"


def sources_digest(package: Path) -> str:
    """The digest of every Python source of the package (mypyc compiled against all of them)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def checkout_build(package: Path, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The directory of compiled modules built from exactly this checkout's sources, or None."""
    build = package.parent / "build" / "compiled" / package.name
    if environ.get("RECOMMENDER_PURE") == "1" or not (build / STAMP).is_file():
        return None
    return build if (build / STAMP).read_text().strip() == sources_digest(package) else None


# this checkout's build in use, worked out once (the package and its subpackages put it on their paths)
CHECKOUT_BUILD = checkout_build(Path(__file__).parent)


def use_checkout_build(path: MutableSequence[str], subpackage: str = "") -> None:
    """Put the checkout's compiled modules of the package (or of a subpackage) first on its `__path__`."""
    if CHECKOUT_BUILD is not None:
        path.insert(0, str(CHECKOUT_BUILD / subpackage))

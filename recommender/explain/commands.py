"""Command-line verbs of this part (registered by recommender.cli)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this part's verbs to the `recommender` parser (none yet)."""

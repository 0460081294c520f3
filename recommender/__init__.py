"""The recommender: how to run a workload on AWS, and why.

kb = load_knowledge()                      # once; frozen and safe to share
document = recommend(profile_dict, kb)     # shared/spec/response.md
document = recommend(profile_dict, kb, explain="changes")   # also what would change each decision

recommend() composes the engine (which knows no explanations) with recommender.explain, imported only
when asked for, so `recommender recommend` starts fast.
"""

from collections.abc import Mapping
from typing import Any

from recommender.compiled import use_checkout_build

use_checkout_build(__path__)  # a source checkout's compiled modules, built from these very sources

from recommender import engine  # (imported after the compiled modules are on the package's path)
from recommender.errors import (
    DocumentError,
    InputError,
    KnowledgeError,
    ProfileError,
    ProposalError,
    RecommenderError,
)
from recommender.knowledge import KnowledgeBase, load_knowledge
from recommender.profile import Profile, load_profile

EXPLAIN_LEVELS = ("changes", "full")
# what answers in this process: "compiled" (mypyc, recommender/compiled.py) or "interpreted"
ENGINE_BUILD = "interpreted" if (engine.__file__ or "").endswith(".py") else "compiled"

__all__ = [
    "ENGINE_BUILD",
    "EXPLAIN_LEVELS",
    "DocumentError",
    "InputError",
    "KnowledgeBase",
    "KnowledgeError",
    "Profile",
    "ProfileError",
    "ProposalError",
    "RecommenderError",
    "load_knowledge",
    "load_profile",
    "recommend",
]


def recommend(
    profile: Profile | Mapping[str, Any], kb: KnowledgeBase, *, explain: str | None = None
) -> dict[str, Any]:
    """The recommendation document of shared/spec/response.md for one profile.

    explain="changes" adds each domain's `what_would_change`; "full" adds that and the rule trace.
    """
    if explain is None:
        return engine.recommend(profile, kb)
    if explain not in EXPLAIN_LEVELS:
        raise ValueError(f"explain must be one of {', '.join(EXPLAIN_LEVELS)}, not '{explain}'")
    from recommender.explain import annotate

    result = engine.recommendation(profile, kb)
    annotate(result.document, result.profile, result.facts, result.outcomes, kb, explain)
    return result.document

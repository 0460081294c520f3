"""The recommender: how to run a workload on AWS, and why.

kb = load_knowledge()                      # once; frozen and safe to share
document = recommend(profile_dict, kb)     # shared/spec/response.md
"""

from recommender.engine import recommend
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

__all__ = [
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

"""Evaluating architecture proposals (shared/spec/proposal.md): choice review, security findings,
reachability of flows, acknowledgements and the verdict. The CLI verb is in recommender/cli/evaluate.py."""

from recommender.compiled import use_checkout_build

use_checkout_build(__path__, "evaluation")  # the evaluation's compiled modules (recommender/compiled.py)

from recommender.evaluation.evaluate import BatchSummary, evaluate, evaluate_many
from recommender.evaluation.proposal import Proposal, ProposalSchema, load_proposal

__all__ = ["BatchSummary", "Proposal", "ProposalSchema", "evaluate", "evaluate_many", "load_proposal"]

"""Batches: the envelope {"<key>": [item, ...]} and the error object that stands in for an invalid item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from api.problems import ApiProblem, input_problem, log, problem_document
from recommender.errors import InputError


def batch_items(document: Any, key: str) -> list[Any]:
    """The list under `key`, checked: an object with only that key, a list, at most MAX_BATCH items."""
    limit: int = current_app.config["RECOMMENDER_MAX_BATCH"]
    if not isinstance(document, dict):
        raise ApiProblem(422, "The batch is invalid.", errors={"batch": [f"Must be an object with '{key}'."]})
    errors = {name: ["Unknown field."] for name in document if name != key}
    items = document.get(key)
    if key not in document:
        errors[key] = ["Missing data for required field."]
    elif not isinstance(items, list):
        errors[key] = ["Must be a list."]
    elif not items:
        errors[key] = ["Must hold at least one item."]
    elif len(items) > limit:
        errors[key] = [f"Must hold at most {limit} items (RECOMMENDER_MAX_BATCH); got {len(items)}."]
    if errors:
        raise ApiProblem(422, "The batch is invalid.", errors=errors)
    return list(items)  # type: ignore[arg-type]


def answer_each(items: list[Any], answer: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer every item; an invalid one becomes {"index", "error": problem} and the others still run.

    An item that makes the engine fail unexpectedly gets a 500 problem of its own (the traceback is logged),
    so one bug does not cost the pipeline the other answers.
    """
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            results.append(answer(item))
        except ApiProblem:
            raise  # about the whole request (e.g. a feature not built), not about this item
        except InputError as exc:
            problem = input_problem(exc)
            error = problem_document(
                problem.status, problem.detail, errors=problem.errors, lines=problem.lines
            )
            results.append({"index": index, "error": error})
        except Exception:
            log.exception("unhandled error while answering batch item %d", index)
            error = problem_document(500, "The server failed to answer this item; it has been logged.")
            results.append({"index": index, "error": error})
    return results


def is_error(result: dict[str, Any]) -> bool:
    return "error" in result and "index" in result

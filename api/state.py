"""What the running app holds: the knowledge base, swappable as a whole (for a later hot reload)."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context

from recommender.knowledge import KnowledgeBase

EXTENSION = "recommender"


class KnowledgeHolder:
    """app.extensions["recommender"]. Views read `holder.kb` once per request; `replace` swaps it atomically."""

    def __init__(self, kb: KnowledgeBase):
        self._kb = kb

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb

    def replace(self, kb: KnowledgeBase) -> None:
        self._kb = kb  # one reference assignment: a request sees the old or the new base, never a mix


def holder(app: Flask | None = None) -> KnowledgeHolder:
    app = app or current_app
    return app.extensions[EXTENSION]  # type: ignore[no-any-return,unused-ignore]


def current_kb() -> KnowledgeBase:
    """The knowledge base of this request: read from the holder once, so a swap cannot split a request."""
    if has_request_context():
        if "knowledge_base" not in g:
            g.knowledge_base = holder().kb
        return g.knowledge_base  # type: ignore[no-any-return,unused-ignore]
    return holder().kb

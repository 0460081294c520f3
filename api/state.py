"""What the running app holds: the knowledge base, swappable as a whole (api/reload.py swaps it)."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context

from recommender.knowledge import KnowledgeBase

EXTENSION = "recommender"


class KnowledgeHolder:
    """app.extensions["recommender"]. Views read `holder.kb` once per request; `replace` swaps it atomically.

    `source` is the fingerprint of the files the base was read from (api.reload.fingerprint), or None when
    unknown; the file watcher compares it with the files on disk to notice a change without reloading.
    """

    def __init__(self, kb: KnowledgeBase, source: str | None = None):
        self._current = (kb, source)

    @property
    def kb(self) -> KnowledgeBase:
        return self._current[0]

    @property
    def source(self) -> str | None:
        return self._current[1]

    def replace(self, kb: KnowledgeBase, source: str | None = None) -> None:
        # one reference assignment: a reader sees the old pair or the new one, never a mix
        self._current = (kb, source)


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

"""Dependencies of the finder pages and API: the finder, a visitor's place, the rewriter URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from cartrial.finder.places import Place, PlaceNotFound
from cartrial.finder.service import Finder
from cartrial.web.deps import CatalogDep, State

__all__ = ["FinderDep", "PlaceAnswer", "get_finder", "llm_model", "llm_url", "resolve_place"]


def get_finder(state: State, catalog: CatalogDep) -> Finder:
    """The finder over the catalogue's protocols (a test overriding the catalogue reaches it)."""
    return catalog.finder(state.settings.var_dir)


FinderDep = Annotated[Finder, Depends(get_finder)]


@dataclass(frozen=True)
class PlaceAnswer:
    """A resolved place, or the message (with close spellings) for one that is not known."""

    place: Place | None
    message: str | None = None
    suggestions: tuple[str, ...] = ()


def resolve_place(finder: Finder, text: str | None) -> PlaceAnswer:
    if not text:
        return PlaceAnswer(None)
    try:
        return PlaceAnswer(finder.store.gazetteer.find(text))
    except PlaceNotFound as exc:
        return PlaceAnswer(None, str(exc), tuple(exc.suggestions))
    except ValueError as exc:  # numbers that are not a point on Earth
        return PlaceAnswer(None, str(exc))


def llm_url() -> str | None:
    """``SUMMARY_LLM_URL`` (read at the edge); None keeps summaries fully deterministic."""
    return os.environ.get("SUMMARY_LLM_URL") or None


def llm_model() -> str:
    """``SUMMARY_LLM_MODEL``, the model name sent to the endpoint (default ``default``)."""
    return os.environ.get("SUMMARY_LLM_MODEL") or "default"

"""Drafted criteria trees for trials without a curated protocol, cached per criteria text.

The parser (:func:`cartrial.ingest.parse.draft.draft_protocol`) reads the registry's criteria
text; its tree is shown marked *not reviewed*, with the share of criteria sentences it could
read as computable. Drafts are cached by NCT id and a hash of the text, so a page render
parses a trial at most once per process.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from cartrial.criteria.protocol import Protocol
from cartrial.domain.trial import Trial
from cartrial.ingest.parse.draft import draft_protocol

__all__ = ["Draft", "DraftCache"]


@dataclass(frozen=True)
class Draft:
    protocol: Protocol
    computable_clauses: int
    clauses: int
    warnings: tuple[str, ...]

    @property
    def computable_share(self) -> float:
        return self.computable_clauses / self.clauses if self.clauses else 0.0


class DraftCache:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Draft | None] = {}
        self._lock = threading.Lock()

    def get(self, trial: Trial) -> Draft | None:
        """The parser's draft of ``trial``'s criteria text (None when it has none)."""
        text = trial.eligibility_text or ""
        if not text.strip():
            return None
        key = (trial.nct_id, hashlib.sha256(text.encode("utf-8")).hexdigest())
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        protocol, result = draft_protocol(trial)
        draft = Draft(
            protocol=protocol,
            computable_clauses=sum(c.computable_clauses for c in result.criteria),
            clauses=sum(c.clauses for c in result.criteria),
            warnings=result.warnings,
        )
        with self._lock:
            self._cache[key] = draft
        return draft

"""Similar trials, ranked by what matters to a patient; text similarity breaks ties.

Score of a candidate for a trial (higher first): shared condition 4, else same disease family
2.5 (a basket trial open to "autoimmune disease" counts 1 against anything); the same target
antigens 1.5 (some shared 1); same cell type 0.75; open to enrolment 0.75; a shared phase 0.25;
when the visitor gave a place, a site within 500 km 0.5 (within 100 km 1). Ties are broken by
BM25 text similarity (``bm25s``) of titles, conditions and interventions. Each suggestion says
why, in words ("also CD19 CAR-T in lupus, recruiting, 12 km away").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import bm25s
import numpy as np

from cartrial.finder import conditions as cond
from cartrial.finder.geo import Point
from cartrial.finder.store import Entry, FinderStore
from cartrial.finder.summary import SHORT_NAMES

__all__ = ["Similar", "SimilarIndex"]


@dataclass(frozen=True)
class Similar:
    entry: Entry
    score: float
    text_score: float
    km: float | None
    reason: str


def _doc(e: Entry) -> str:
    t = e.trial
    parts = [
        t.brief_title or t.title,
        *t.conditions,
        *t.interventions,
        *t.target_antigens,
        t.cell_type or "",
        *(c.display for c in e.conditions),
    ]
    return " ".join(p for p in parts if p)


class SimilarIndex:
    """BM25 over every trial of a :class:`FinderStore`, plus the patient-facing ranking."""

    def __init__(self, store: FinderStore) -> None:
        self.store = store
        self.ids = list(store.entries)
        self.pos = {n: i for i, n in enumerate(self.ids)}

    @cached_property
    def _bm25(self) -> tuple[bm25s.BM25, list[list[str]]]:
        docs = [_doc(self.store.entries[n]) for n in self.ids]
        tokens = bm25s.tokenize(docs, stopwords="en", return_ids=False, show_progress=False)
        assert isinstance(tokens, list)
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(docs, stopwords="en", show_progress=False), show_progress=False
        )
        return retriever, tokens

    def text_scores(self, nct_id: str) -> np.ndarray:
        retriever, tokens = self._bm25
        query = [w for w in tokens[self.pos[nct_id]] if w in retriever.vocab_dict]
        if not query:
            return np.zeros(len(self.ids))
        return np.asarray(retriever.get_scores(query), dtype=float)

    def similar(self, nct_id: str, k: int = 5, *, origin: Point | None = None) -> list[Similar]:
        base = self.store.get(nct_id)
        if base is None:
            return []
        text = self.text_scores(base.nct_id)
        top = float(text.max()) or 1.0
        ranked: list[Similar] = []
        for i, nct in enumerate(self.ids):
            if nct == base.nct_id:
                continue
            other = self.store.entries[nct]
            score, km = self._score(base, other, origin)
            ranked.append(
                Similar(other, score, float(text[i]) / top, km, self._reason(base, other, km))
            )
        ranked.sort(key=lambda s: (-round(s.score, 6), -s.text_score, s.entry.nct_id))
        return ranked[:k]

    @staticmethod
    def _score(a: Entry, b: Entry, origin: Point | None) -> tuple[float, float | None]:
        score = 0.0
        shared = (set(a.condition_keys) & set(b.condition_keys)) - {"autoimmune"}
        if shared:
            score += 4.0
        elif (set(a.families) & set(b.families)) - {"basket"}:
            score += 2.5
        elif "basket" in a.families or "basket" in b.families:
            score += 1.0
        ag_a, ag_b = set(a.trial.target_antigens), set(b.trial.target_antigens)
        if ag_a and ag_a == ag_b:
            score += 1.5
        elif ag_a & ag_b:
            score += 1.0
        if a.trial.cell_type and a.trial.cell_type == b.trial.cell_type:
            score += 0.75
        if b.open:
            score += 0.75
        if set(a.trial.phases) & set(b.trial.phases):
            score += 0.25
        km = b.nearest_km(origin) if origin is not None else None
        if km is not None:
            score += 1.0 if km <= 100 else 0.5 if km <= 500 else 0.0
        return score, km

    @staticmethod
    def _reason(a: Entry, b: Entry, km: float | None) -> str:
        shared = [k for k in b.condition_keys if k in a.condition_keys and k != "autoimmune"]
        fams = [f for f in b.families if f in a.families and f != "basket"]
        what = " ".join(
            x
            for x in (
                "/".join(b.trial.target_antigens)
                if set(b.trial.target_antigens) & set(a.trial.target_antigens)
                else "",
                b.trial.cell_type or "CAR-cell therapy",
            )
            if x
        )
        if shared:
            name = SHORT_NAMES.get(shared[0], shared[0]).split(" (")[0]
            where = f" in {name}"
        elif fams:
            where = f" in {cond.FAMILIES[fams[0]].lower()}"
        else:
            where = ""
        parts = [f"also {what}{where}" if (shared or fams or what) else what]
        status = (b.trial.status or "status unknown").replace("_", " ").lower()
        parts.append(status)
        if km is not None:
            parts.append(f"{km:,.0f} km away")
        return ", ".join(parts)

"""The SQL compiler's handler table and what its builders share while compiling one protocol.

One builder per node kind is registered on :data:`COMPILER` (the analogue of the evaluator's
``EVALUATOR``). A builder returns the node's truth as a boolean SQL expression over the
per-person row; an atom that needs rows of the CDM adds one per-person CTE (``a<n>``: person_id,
s) through :meth:`State.atom` and names the record extracts it reads (:meth:`State.need`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlglot import exp

from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import Criterion, Window
from cartrial.sql import dates
from cartrial.sql.cdm import Cdm

Builder = Callable[[Any, "Scope"], "exp.Expression | Composite"]
COMPILER: Interpreter[Builder] = Interpreter("sql")

BASE_TABLES: dict[str, tuple[str, ...]] = {
    "person": ("person",),
    "labs": ("measurement", "concept", "concept_ancestor"),
    "conditions": ("condition_occurrence", "concept", "concept_ancestor"),
    "drugs": ("drug_exposure", "concept", "concept_ancestor"),
    "vaccines": ("drug_exposure", "concept", "concept_ancestor"),
    "procedures": ("procedure_occurrence", "concept", "concept_ancestor"),
}
"""Record extracts (``cdm_<name>`` CTEs) and the CDM tables each reads."""

FACT_EXTRACTS = ("labs", "conditions", "vaccines", "procedures")
"""Extracts whose atoms are conditional aggregates of one per-person GROUP BY each."""


@dataclass
class State:
    """Mutable compile state shared by every builder of one protocol."""

    cdm: Cdm
    as_of: date
    screening_days: int
    keys: dict[str, set[str]] = field(default_factory=dict)
    bases: dict[str, str] = field(default_factory=dict)  # extract -> first criterion needing it
    atoms: list[tuple[str, exp.Select]] = field(default_factory=list)
    layers: dict[int, list[tuple[str, exp.Expression]]] = field(default_factory=dict)
    refs: dict[str, Ref] = field(default_factory=dict)
    manual: dict[str, str] = field(default_factory=dict)
    facts: dict[str, list[tuple[str, exp.Expression]]] = field(default_factory=dict)
    active_sets: dict[frozenset[str], str] = field(default_factory=dict)
    drug_agents: list[tuple[str, exp.Expression, exp.Expression]] = field(default_factory=list)

    def column(self, height: int, expr: exp.Expression) -> str:
        """Add a computed column at a layer (0 = atoms, h = composites of height h)."""
        layer = self.layers.setdefault(height, [])
        name = f"n{sum(len(v) for v in self.layers.values()) + 1:03d}"
        layer.append((name, expr))
        return name

    def need(
        self,
        base: str,
        why: str,
        group: str | None = None,
        keys: tuple[str, ...] | frozenset[str] = (),
    ) -> None:
        """Record that an extract is read (and for which concept keys); check the CDM has it."""
        for table in BASE_TABLES[base]:
            self.cdm.require(table, f"criterion {why}")
        if base == "labs" and self.cdm.has("observation"):
            self.cdm.require("observation", f"criterion {why}")
        self.bases.setdefault(base, why)
        if group is not None:
            self.keys.setdefault(group, set()).update(keys)

    def atom(self, query: exp.Select) -> exp.Column:
        """Add a per-person CTE (``person_id``, ``s``); returns its ``s`` column."""
        name = f"a{len(self.atoms) + 1}"
        self.atoms.append((name, query))
        return exp.column("s", name)

    def _name(self, prefix: str) -> str:
        taken = sum(len(v) for v in self.facts.values())
        taken += len(self.active_sets) + len(self.drug_agents)
        return f"{prefix}{taken + 1:03d}"

    def fact(self, extract: str, aggregate: exp.Expression) -> exp.Column:
        """Add a per-person aggregate over ``cdm_<extract>`` to that extract's one GROUP BY
        (``f_<extract>``, see :mod:`cartrial.sql.facts`); returns its column."""
        if extract not in FACT_EXTRACTS:
            raise ValueError(f"no per-person facts over {extract!r}")
        columns = self.facts.setdefault(extract, [])
        for name, existing in columns:  # the same atom twice in a protocol: computed once
            if existing == aggregate:
                return exp.column(name, f"f_{extract}")
        name = self._name("f")
        columns.append((name, aggregate))
        return exp.column(name, f"f_{extract}")

    def active_set(self, keys: frozenset[str]) -> exp.Column:
        """Per person, 1 if a condition of ``keys`` is active on the screening date."""
        name = self.active_sets.get(keys)
        if name is None:
            name = self.active_sets[keys] = self._name("ad")
        return exp.column(name, "ad")

    def drug_fact(
        self, per_agent: exp.Expression, per_person: Callable[[exp.Column], exp.Expression]
    ) -> exp.Column:
        """A medication atom in two GROUP BYs: ``per_agent`` over one person's rows of one
        agent, then ``per_person`` (given that column) over the person's agents."""
        name = self._name("g")
        self.drug_agents.append((name, per_agent, per_person(exp.column(name))))
        return exp.column(name, "f_drugs")

    def start(self, window: Window | None) -> date:
        return dates.screening_start(self.as_of, window, self.screening_days)


@dataclass(frozen=True)
class Ref:
    """A compiled node: the column of its truth, whether that truth rests on a ManualReview
    assumption (a constant, or the column saying so per person) and its layer."""

    value: str
    assumed: bool | str
    height: int


@dataclass(frozen=True)
class Composite:
    """What a composite builder returns: the truth and the assumption flag over its children."""

    value: exp.Expression
    assumed: bool | exp.Expression
    height: int


@dataclass(frozen=True)
class Scope:
    """Where in the tree a builder is: ``favourable`` as in the evaluator's Context."""

    state: State
    favourable: bool = True

    def flipped(self) -> Scope:
        return replace(self, favourable=not self.favourable)


def compile_node(node: Criterion, scope: Scope) -> Ref:
    """Compile ``node`` into columns of its layer; returns where its truth is."""
    built = COMPILER.handler(type(node))(node, scope)
    state = scope.state
    if isinstance(built, Composite):
        value = state.column(built.height, built.value)
        assumed: bool | str = (
            built.assumed
            if isinstance(built.assumed, bool)
            else state.column(built.height, built.assumed)
        )
        ref = Ref(value, assumed, built.height)
    else:
        manual = type(node).__name__ == "ManualReview"
        ref = Ref(state.column(0, built), manual, 0)
    if node.id is not None:
        state.refs[node.id] = ref
    return ref

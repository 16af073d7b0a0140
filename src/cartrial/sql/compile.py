"""compile_protocol: a protocol's criteria tree -> one sqlglot SELECT, one row per person.

The row holds a TRUE / FALSE / NULL column per criterion (every node of the tree, in protocol
order) and the verdict. NULL is UNKNOWN; a ManualReview node's column is NULL with its reason in
:attr:`CompiledCriterion.manual_reason`, while the composites and the verdict take the
favourable value for it, exactly as the evaluator does (so an ELIGIBLE person is eligible pending
the investigator's review of those items). Only :func:`to_sql` renders text, for a dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.walk import children
from cartrial.sql import base, facts
from cartrial.sql.build import (
    FALSE,
    TRUE,
    alias,
    case,
    code,
    col,
    is_null,
    lit,
    not_,
    null_bool,
    or_,
)
from cartrial.sql.cdm import Cdm
from cartrial.sql.context import Ref, Scope, State, compile_node

DIALECTS = ("duckdb", "postgres", "spark")


@dataclass(frozen=True)
class CompiledCriterion:
    """One node of the tree as a result column."""

    id: str
    column: str
    section: str
    kind: str
    depth: int
    parent: str | None
    text: str
    manual_reason: str | None = None


@dataclass(frozen=True)
class CompiledProtocol:
    nct_id: str
    as_of: date
    query: exp.Select
    criteria: tuple[CompiledCriterion, ...]

    def sql(self, dialect: str) -> str:
        return to_sql(self.query, dialect)

    def top_level(self, section: str) -> tuple[CompiledCriterion, ...]:
        return tuple(c for c in self.criteria if c.depth == 0 and c.section == section)


def to_sql(tree: exp.Expression, dialect: str, *, pretty: bool = False) -> str:
    """The one place SQL text is produced: the tree rendered by sqlglot for ``dialect``."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {DIALECTS}")
    if dialect == "spark":  # Spark has no MATERIALIZED hint: its optimiser decides
        tree = tree.copy()
        for cte in tree.find_all(exp.CTE):
            cte.set("materialized", None)
    return tree.sql(dialect=dialect, pretty=pretty)


def _flatten(
    node: Criterion,
    section: str,
    depth: int,
    parent: str | None,
    out: list[tuple[Criterion, str, int, str | None]],
) -> None:
    out.append((node, section, depth, parent))
    for kid in children(node):
        _flatten(kid, section, depth + 1, node.id, out)


def _is_true(e: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=e.copy(), expressions=[FALSE])


def _wide(state: State) -> exp.Select:
    """All per-person atom CTEs as one row per person (a truth code per atom; NULL = no row).

    One UNION ALL and one GROUP BY instead of a join per atom."""
    parts = [
        exp.select(col("person_id"), alias(lit(name), "k"), alias(code(col("s")), "c")).from_(name)
        for name, _ in state.atoms
    ]
    long: exp.Expression = parts[0]
    for part in parts[1:]:
        long = exp.union(long, part, distinct=False, copy=False)
    pivot = [
        alias(exp.Max(this=case([(exp.EQ(this=col("k"), expression=lit(name)), col("c"))])), name)
        for name, _ in state.atoms
    ]
    return (
        exp.select(col("person_id"), *pivot)
        .from_(
            exp.Subquery(this=long, alias=exp.TableAlias(this=exp.to_identifier("u"))), copy=False
        )
        .group_by(col("person_id"), copy=False)
    )


def compile_protocol(protocol: Protocol, cdm: Cdm, *, as_of: date) -> CompiledProtocol:
    """Compile every criterion of ``protocol`` for the population in ``cdm`` on ``as_of``.

    The query is layered: the innermost SELECT holds one column per atom (joined from its
    per-person CTE), each outer SELECT the composites one level up, so every expression refers
    to its children by column name and the SQL grows linearly with the tree.
    """
    state = State(cdm=cdm, as_of=as_of, screening_days=protocol.screening_window_days)
    state.need("person", "the population")
    tops: list[tuple[str, Ref]] = []
    for section, items in protocol.sections():
        scope = Scope(state, favourable=section == "inclusion")
        for node in items:
            tops.append((section, compile_node(node, scope)))
    nodes: list[tuple[Criterion, str, int, str | None]] = []
    for section, items in protocol.sections():
        for node in items:
            _flatten(node, section, 0, None, nodes)
    # layer 0: atoms over the person row and one wide row of atom truth codes per person
    atom_names = {name for name, _ in state.atoms}

    def widen(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table in atom_names:
            code = col(node.table, "w")
            if node.name == "person_id":  # presence of a row for the person
                return code
            return case(
                [
                    (exp.EQ(this=code, expression=lit(2)), TRUE),
                    (exp.EQ(this=code.copy(), expression=lit(0)), FALSE),
                ],
                null_bool(),
            )
        return node

    inner = exp.select(
        col("person_id", "p"), *[alias(e.transform(widen), n) for n, e in state.layers.get(0, [])]
    )
    inner = inner.from_(exp.to_table("cdm_person").as_("p"), copy=False)
    for name in facts.joined(state):
        inner = inner.join(
            exp.to_table(name),
            on=exp.EQ(this=col("person_id", name), expression=col("person_id", "p")),
            join_type="left",
            copy=False,
        )
    if state.atoms:
        inner = inner.join(
            exp.to_table("cdm_atoms").as_("w"),
            on=exp.EQ(this=col("person_id", "w"), expression=col("person_id", "p")),
            join_type="left",
            copy=False,
        )
    layered: exp.Select = inner
    for height in sorted(h for h in state.layers if h > 0):
        # OFFSET 0 keeps PostgreSQL from pulling the layer up into its parent, which would
        # substitute every column by its expression and grow the plan exponentially
        layered = exp.select(exp.Star(), *[alias(e, n) for n, e in state.layers[height]]).from_(
            layered.offset(0, copy=False).subquery(f"l{height}", copy=False), copy=False
        )
    criteria: list[CompiledCriterion] = []
    select: list[exp.Expression] = [col("person_id")]
    for i, (node, section, depth, parent) in enumerate(nodes, 1):
        nid = node.id or f"node-{i}"
        column = f"c{i:03d}"
        reason = state.manual.get(nid)
        expr = null_bool() if reason is not None else col(state.refs[nid].value)
        select.append(alias(expr, column))
        criteria.append(
            CompiledCriterion(
                id=nid,
                column=column,
                section=section,
                kind=node.kind,
                depth=depth,
                parent=parent,
                text=node.text,
                manual_reason=reason,
            )
        )
    decisive = [_is_true(not_(col(r.value)) if s == "inclusion" else col(r.value)) for s, r in tops]
    unknown = [is_null(col(r.value)) for _, r in tops]
    verdict = case(
        [(or_(*decisive), lit("INELIGIBLE")), (or_(*unknown), lit("NEEDS_DATA"))], lit("ELIGIBLE")
    )
    select.append(alias(verdict, "verdict"))
    query = exp.select(*select).from_(
        layered.offset(0, copy=False).subquery("t", copy=False), copy=False
    )
    for name, cte in base.ctes(state):
        query = query.with_(name, as_=cte, materialized=True, copy=False)
    for name, cte in facts.ctes(state):
        query = query.with_(name, as_=cte, copy=False)
    for name, cte in state.atoms:
        query = query.with_(name, as_=cte, copy=False)
    if state.atoms:
        query = query.with_("cdm_atoms", as_=_wide(state), copy=False)
    return CompiledProtocol(
        nct_id=protocol.nct_id, as_of=as_of, query=query, criteria=tuple(criteria)
    )

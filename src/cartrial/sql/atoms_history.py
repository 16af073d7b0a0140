"""Builders for history: conditions, therapies, vaccines, procedures (closed world).

As in the evaluator, the record is the person's full history: a person with no matching row is
FALSE (``COALESCE(s, FALSE)``), and a row whose needed date is missing is UNKNOWN. Per-row
truths are aggregated with truth codes (MAX = Kleene OR over the rows).
"""

from __future__ import annotations

from sqlglot import exp

from cartrial import vocab
from cartrial.criteria.nodes import (
    ConditionHistory,
    MedicationHistory,
    ProcedureHistory,
    TimeUnit,
    Vaccination,
)
from cartrial.sql import dates
from cartrial.sql.build import (
    FALSE,
    TRUE,
    alias,
    and_,
    case,
    code,
    col,
    from_code,
    in_,
    is_null,
    lit,
    max_where,
    not_,
    not_null,
    null_bool,
    or_,
)
from cartrial.sql.context import COMPILER, Scope, State


def _closed(state: State, query: exp.Select) -> exp.Expression:
    """Closed world: a person without any row is FALSE (a row's own NULL stays UNKNOWN)."""
    s = state.atom(query)
    return case([(is_null(col("person_id", s.table)), FALSE)], s)


def _closed_fact(
    state: State, extract: str, rows: exp.Expression, row_truth: exp.Expression
) -> exp.Expression:
    """Kleene OR of ``row_truth`` over the person's ``rows`` of ``cdm_<extract>`` (one column
    of its per-person GROUP BY); closed world: no such row is FALSE."""
    return from_code(state.fact(extract, max_where(code(row_truth), rows)))


def _on_or_before(column: str, state: State) -> exp.Expression:
    return exp.LTE(this=col(column), expression=dates.literal(state.as_of))


def active_on(state: State) -> exp.Expression:
    """A condition still active on the screening date: no end date, or ending after it."""
    return or_(
        is_null(col("end_")), exp.GT(this=col("end_"), expression=dates.literal(state.as_of))
    )


@COMPILER.register(ConditionHistory)
def _condition(node: ConditionHistory, scope: Scope) -> exp.Expression:
    state = scope.state
    state.need("conditions", node.id or "condition", "conditions", node.concepts)
    conds = [
        in_(col("key"), node.concepts),
        or_(is_null(col("start_")), _on_or_before("start_", state)),
    ]
    if node.active_only:
        conds.append(active_on(state))
    windowed = node.onset_within is not None or node.onset_at_least is not None
    ok: list[exp.Expression] = []
    if node.onset_within is not None:
        ok.append(
            exp.GTE(
                this=col("start_"), expression=dates.literal(node.onset_within.start(state.as_of))
            )
        )
    if node.onset_at_least is not None:
        ok.append(
            exp.LTE(
                this=col("start_"), expression=dates.literal(node.onset_at_least.start(state.as_of))
            )
        )
    row = (
        case([(and_(lit(windowed), is_null(col("start_"))), null_bool())], and_(*ok))
        if ok
        else TRUE
    )
    return _closed_fact(state, "conditions", exp.and_(*conds), row)


def _drug_keys(node: MedicationHistory) -> frozenset[str]:
    keys = set(node.drugs)
    for cls in node.classes:
        try:
            keys |= vocab.drugs_in_class(cls)
        except KeyError:
            continue  # the linter reports unknown classes
    return frozenset(keys)


def _distinct_key(node: MedicationHistory, keys: frozenset[str]) -> exp.Expression:
    """The agent (drug key), or with ``distinct_by: class`` the node's first class it is in."""
    if node.distinct_by != "class":
        return col("key")
    whens = []
    for key in sorted(keys):
        cls = next((c for c in node.classes if key in _members(c)), None)
        whens.append((exp.EQ(this=col("key"), expression=lit(key)), lit(cls or key)))
    return case(whens, col("key"))


def _members(cls: str) -> frozenset[str]:
    try:
        return vocab.drugs_in_class(cls)
    except KeyError:
        return frozenset()


def _active_disease(state: State, node: MedicationHistory) -> exp.Select:
    """Per person: a condition of ``active_disease`` is active on the screening date."""
    state.need("conditions", node.id or "medication", "conditions", node.active_disease)
    rows = (
        exp.select("*")
        .from_("cdm_conditions")
        .where(exp.and_(in_(col("key"), node.active_disease), active_on(state)))
    )
    return (
        exp.select(col("person_id"), alias(lit(1), "active")).distinct().from_(rows.subquery("c"))
    )


def _exposure_truth(
    node: MedicationHistory, state: State, active: exp.Expression | None
) -> exp.Expression:
    """The evaluator's ``_qualifies`` for one exposure row (Kleene AND of its clauses);
    ``active``: the person's active-disease flag (non-NULL = active), when the node asks."""
    start, end = col("start_"), col("end_")
    as_of = dates.literal(state.as_of)
    clauses: list[exp.Expression] = []
    no_half_life: list[str] = []
    if node.within is not None:
        if node.within.unit is TimeUnit.HALF_LIVES:
            whens = []
            for key in sorted(_drug_keys(node)):
                hl = vocab.half_life_days(key)
                if hl is None or hl.days is None:
                    no_half_life.append(key)
                    continue
                day = node.within.start(state.as_of, half_life_days=hl.days)
                whens.append((exp.EQ(this=col("key"), expression=lit(key)), dates.literal(day)))
            ws: exp.Expression = (
                case(whens, exp.cast(exp.Null(), dates.DATE))
                if whens
                else exp.cast(exp.Null(), dates.DATE)
            )
        else:
            ws = dates.literal(node.within.start(state.as_of))
        clauses.append(
            case(
                [
                    (
                        and_(
                            is_null(end), not_null(start), exp.GTE(this=start.copy(), expression=ws)
                        ),
                        TRUE,
                    ),
                    (is_null(end.copy()), null_bool()),
                    (exp.LT(this=end.copy(), expression=ws.copy()), FALSE),
                ],
                TRUE,
            )
        )
    if node.min_daily_dose_mg is not None or node.min_dose_mg_per_kg_day is not None:
        clauses.append(null_bool())  # OMOP rows carry no daily dose: UNKNOWN, as the adapter says
    duration: exp.Expression = TRUE
    if node.min_duration is not None:
        enough = exp.GTE(
            this=exp.Least(this=end.copy(), expressions=[as_of]),
            expression=dates.plus(start.copy(), node.min_duration.amount, node.min_duration.unit),
        )
        duration = case([(or_(is_null(start.copy()), is_null(end.copy())), null_bool())], enough)
    if node.outcome == "any":
        clauses.append(duration)
    else:
        allowed = ("failure",) if node.outcome == "failure" else ("failure", "intolerance")
        fallback: exp.Expression = FALSE
        if active is not None:
            fallback = case([(not_null(active), duration)], FALSE)
        clauses.append(case([(in_(col("outcome"), allowed), TRUE)], fallback))
    truth = and_(*clauses)
    if no_half_life:
        truth = case([(in_(col("key"), no_half_life), null_bool())], truth)
    return truth


@COMPILER.register(MedicationHistory)
def _medication(node: MedicationHistory, scope: Scope) -> exp.Expression:
    state = scope.state
    keys = _drug_keys(node)
    state.need("drugs", node.id or "medication", "medications", keys)
    conds = [in_(col("key"), keys), or_(is_null(col("start_")), _on_or_before("start_", state))]
    if node.exclude_routes:
        for r in node.exclude_routes:
            if "%" in r or "_" in r:
                raise ValueError(f"{node.id}: route {r!r} holds a LIKE wildcard")
        excluded = or_(
            *[
                exp.Like(this=exp.Lower(this=col("route")), expression=lit(f"%{r.lower()}%"))
                for r in node.exclude_routes
            ]
        )
        conds.append(
            or_(
                is_null(col("route")), exp.EQ(this=col("route"), expression=lit("")), not_(excluded)
            )
        )
    needs_active = node.outcome != "any" and node.min_duration is not None and node.active_disease
    if node.distinct_by == "class":
        return _medication_by_class(node, state, keys, conds, bool(needs_active))
    active = None
    if needs_active:
        state.need("conditions", node.id or "medication", "conditions", node.active_disease)
        active = state.active_set(frozenset(node.active_disease))
    per_agent = max_where(code(_exposure_truth(node, state, active)), exp.and_(*conds))

    def per_person(m: exp.Column) -> exp.Expression:
        return _count_agents(node.min_distinct, m, exp.Max(this=m.copy()))

    return from_code(state.drug_fact(per_agent, per_person))


def _count_agents(n: int, c: exp.Column, present: exp.Expression) -> exp.Expression:
    """Truth code of "at least ``n`` agents qualify" from each agent's code ``c`` (an
    aggregate over the person's agents; NULL when ``present`` is NULL: no row at all)."""
    definite = exp.Sum(this=case([(exp.EQ(this=c, expression=lit(2)), lit(1))], lit(0)))
    maybe = exp.Sum(this=case([(exp.EQ(this=c.copy(), expression=lit(1)), lit(1))], lit(0)))
    return case(
        [
            (is_null(present), exp.Null()),
            (exp.GTE(this=definite, expression=lit(n)), lit(2)),
            (
                exp.GTE(this=exp.Add(this=definite.copy(), expression=maybe), expression=lit(n)),
                lit(1),
            ),
        ],
        lit(0),
    )


def _medication_by_class(
    node: MedicationHistory,
    state: State,
    keys: frozenset[str],
    conds: list[exp.Expression],
    needs_active: bool,
) -> exp.Expression:
    """``distinct_by: class``: agents are grouped by class, in a CTE of its own."""
    rows: exp.Select = exp.select("*").from_("cdm_drugs").where(exp.and_(*conds))
    source: exp.Select = rows
    if needs_active:
        rows = (
            exp.select(
                col("person_id", "d"),
                col("key", "d"),
                col("start_", "d"),
                col("end_", "d"),
                col("outcome", "d"),
                col("active", "ad"),
            )
            .from_(source.subquery("d"))
            .join(
                _active_disease(state, node).subquery("ad"),
                on=exp.EQ(this=col("person_id", "ad"), expression=col("person_id", "d")),
                join_type="left",
            )
        )
    truth = _exposure_truth(node, state, col("active") if needs_active else None)
    judged = rows.select(alias(_distinct_key(node, keys), "agent"), alias(truth, "t"))
    per_agent = (
        exp.select(col("person_id"), col("agent"), alias(exp.Max(this=code(col("t"))), "c"))
        .from_(judged.subquery("r"))
        .group_by(col("person_id"), col("agent"))
    )
    s = from_code(_count_agents(node.min_distinct, col("c"), exp.Max(this=col("c"))))
    q = (
        exp.select(col("person_id"), alias(s, "s"))
        .from_(per_agent.subquery("g"))
        .group_by(col("person_id"))
    )
    return _closed(state, q)


@COMPILER.register(Vaccination)
def _vaccine(node: Vaccination, scope: Scope) -> exp.Expression:
    state = scope.state
    keys = tuple(node.concepts) or tuple(sorted(vocab.concept_keys("vaccines")))
    state.need("vaccines", node.id or "vaccine", "vaccines", keys)
    conds = [in_(col("key"), keys), _on_or_before("d", state)]
    if node.within is not None:
        conds.append(
            exp.GTE(this=col("d"), expression=dates.literal(node.within.start(state.as_of)))
        )
    if not node.live_only:
        return _closed_fact(state, "vaccines", exp.and_(*conds), TRUE)
    live = [k for k in keys if vocab.vaccine_is_live(k) is True]
    unsure = [k for k in keys if vocab.vaccine_is_live(k) is None]
    row = case([(in_(col("key"), live), TRUE), (in_(col("key"), unsure), null_bool())], FALSE)
    return _closed_fact(state, "vaccines", exp.and_(*conds), row)


@COMPILER.register(ProcedureHistory)
def _procedure(node: ProcedureHistory, scope: Scope) -> exp.Expression:
    state = scope.state
    state.need("procedures", node.id or "procedure", "procedures", node.concepts)
    start = node.within.start(state.as_of) if node.within is not None else None
    d = col("start_")
    dated = [_on_or_before("start_", state)]
    if start is not None:
        dated.append(exp.GTE(this=d.copy(), expression=dates.literal(start)))
    undated = null_bool() if start is not None else TRUE
    row = case([(is_null(d.copy()), undated), (exp.and_(*dated), TRUE)], FALSE)
    return _closed_fact(state, "procedures", in_(col("key"), node.concepts), row)

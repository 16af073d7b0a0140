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


def _per_person(rows: exp.Select, row_truth: exp.Expression) -> exp.Select:
    judged = rows.select(alias(row_truth, "t"))
    return (
        exp.select(col("person_id"), alias(from_code(exp.Max(this=code(col("t")))), "s"))
        .from_(judged.subquery("r"))
        .group_by(col("person_id"))
    )


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
    rows = exp.select("*").from_("cdm_conditions").where(exp.and_(*conds))
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
    return _closed(state, _per_person(rows, row))


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


def _exposure_truth(node: MedicationHistory, state: State) -> exp.Expression:
    """The evaluator's ``_qualifies`` for one exposure row (Kleene AND of its clauses)."""
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
        if node.min_duration is not None and node.active_disease:
            fallback = case([(not_null(col("active")), duration)], FALSE)
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
    rows: exp.Select = exp.select("*").from_("cdm_drugs").where(exp.and_(*conds))
    source: exp.Select = rows
    if node.outcome != "any" and node.min_duration is not None and node.active_disease:
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
    judged = rows.select(
        alias(_distinct_key(node, keys), "agent"), alias(_exposure_truth(node, state), "t")
    )
    per_agent = (
        exp.select(col("person_id"), col("agent"), alias(exp.Max(this=code(col("t"))), "c"))
        .from_(judged.subquery("r"))
        .group_by(col("person_id"), col("agent"))
    )
    definite = exp.Sum(this=case([(exp.EQ(this=col("c"), expression=lit(2)), lit(1))], lit(0)))
    maybe = exp.Sum(this=case([(exp.EQ(this=col("c"), expression=lit(1)), lit(1))], lit(0)))
    s = case(
        [
            (exp.GTE(this=definite, expression=lit(node.min_distinct)), TRUE),
            (
                exp.GTE(
                    this=exp.Add(this=definite.copy(), expression=maybe),
                    expression=lit(node.min_distinct),
                ),
                null_bool(),
            ),
        ],
        FALSE,
    )
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
    rows = exp.select("*").from_("cdm_vaccines").where(exp.and_(*conds))
    if not node.live_only:
        return _closed(state, _per_person(rows, TRUE))
    live = [k for k in keys if vocab.vaccine_is_live(k) is True]
    unsure = [k for k in keys if vocab.vaccine_is_live(k) is None]
    row = case([(in_(col("key"), live), TRUE), (in_(col("key"), unsure), null_bool())], FALSE)
    return _closed(state, _per_person(rows, row))


@COMPILER.register(ProcedureHistory)
def _procedure(node: ProcedureHistory, scope: Scope) -> exp.Expression:
    state = scope.state
    state.need("procedures", node.id or "procedure", "procedures", node.concepts)
    start = node.within.start(state.as_of) if node.within is not None else None
    d = col("d")
    dated = [_on_or_before("d", state)]
    if start is not None:
        dated.append(exp.GTE(this=d.copy(), expression=dates.literal(start)))
    dated_rows = (
        exp.select(col("person_id"), alias(col("start_"), "d"))
        .from_("cdm_procedures")
        .where(in_(col("key"), node.concepts))
    )
    rows = exp.select("*").from_(dated_rows.subquery("pr"))
    undated = null_bool() if start is not None else TRUE
    row = case([(is_null(d.copy()), undated), (exp.and_(*dated), TRUE)], FALSE)
    return _closed(state, _per_person(rows, row))

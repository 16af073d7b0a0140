"""Builders for point-in-time data: labs, scores, serologies and derived values (``cdm_labs``).

As in the evaluator, a missing value, or one older than the look-back, is UNKNOWN (NULL): the
per-person CTE simply has no row for that person. "Latest" is the newest row inside
[look-back start, screening date]; a same-day tie goes to the first row of ``measurement``
(then ``observation``) by id, the order the OMOP adapter gives the evaluator.
"""

from __future__ import annotations

from sqlglot import exp

from cartrial import vocab
from cartrial.calculators.renal import AGE_MAX_YEARS, SCR_MAX_MG_DL
from cartrial.calculators.validation import HEIGHT_MAX_CM, HEIGHT_MIN_CM, WEIGHT_MAX_KG
from cartrial.criteria.nodes import Comparator, Derived, Measurement, Score, Serology, Window
from cartrial.sql import dates
from cartrial.sql.atoms_person import age_expression
from cartrial.sql.build import (
    FALSE,
    TEXT,
    TRUE,
    alias,
    and_,
    case,
    censored_compare,
    code,
    col,
    holds_const,
    in_,
    is_null,
    lit,
    max_where,
    not_,
    not_null,
    null_bool,
    num,
    or_,
)
from cartrial.sql.context import COMPILER, Scope, State

LABS = "cdm_labs"


def _rows(
    state: State, keys: tuple[str, ...], why: str, start: exp.Expression | None, numeric: bool
) -> exp.Select:
    state.need("labs", why, "labs", keys)
    conds: list[exp.Expression] = [
        in_(col("key"), keys),
        exp.LTE(this=col("d"), expression=dates.literal(state.as_of)),
    ]
    if start is not None:
        conds.append(exp.GTE(this=col("d"), expression=start))
    if numeric:
        conds.append(not_null(col("value")))
    return exp.select("*").from_(LABS).where(exp.and_(*conds))


def latest(
    state: State,
    keys: tuple[str, ...],
    why: str,
    window: Window | None,
    *,
    numeric: bool = True,
    any_date: bool = False,
) -> exp.Select:
    """Per person, the newest row of ``keys`` inside the look-back (``any_date``: ever)."""
    start = None if any_date else dates.literal(state.start(window))
    rows = _rows(state, keys, why, start, numeric)
    rn = exp.Window(
        this=exp.RowNumber(),
        partition_by=[col("person_id")],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=col("d"), desc=True),
                exp.Ordered(this=col("src")),
                exp.Ordered(this=col("rid")),
            ]
        ),
    )
    ranked = rows.select(alias(rn, "rn"))
    return (
        exp.select("*").from_(ranked.subquery("r")).where(exp.EQ(this=col("rn"), expression=lit(1)))
    )


def day_extreme(
    state: State, key: str, why: str, window: Window | None, *, highest: bool
) -> exp.Select:
    """Per person, the highest (or lowest) value of ``key`` on its newest day in the window."""
    rows = _rows(state, (key,), why, dates.literal(state.start(window)), numeric=True)
    dated = rows.select(
        alias(exp.Window(this=exp.Max(this=col("d")), partition_by=[col("person_id")]), "last_d")
    )
    pick = exp.Max if highest else exp.Min
    return (
        exp.select(col("person_id"), alias(pick(this=col("value")), "value"))
        .from_(dated.subquery("r"))
        .where(exp.EQ(this=col("d"), expression=col("last_d")))
        .group_by(col("person_id"))
    )


def open_code(c: exp.Expression) -> exp.Expression:
    """A truth code read as point-in-time data: no row (NULL) is UNKNOWN."""
    return case(
        [
            (exp.EQ(this=c, expression=lit(2)), TRUE),
            (exp.EQ(this=c.copy(), expression=lit(0)), FALSE),
        ],
        null_bool(),
    )


def newest_day_code(
    state: State,
    keys: tuple[str, ...],
    window: Window | None,
    truth_code: exp.Expression,
    *,
    numeric: bool,
    least: bool,
) -> exp.Expression:
    """Per person, the code of ``truth_code`` on the newest day (up to the screening date) with
    a value of ``keys``, or NULL when there is none or that day is before the look-back.

    Several rows that day give the highest code (``least``: the lowest). One aggregate, no
    self-join: MAX over ``YYYYMMDD * 4 + code`` picks the newest day and, within it, the
    highest code (with ``3 - code``: the lowest), both read back from the one number.
    """
    conds = [in_(col("key"), keys)]  # f_labs holds rows up to the screening date only
    if numeric:
        conds.append(not_null(col("value")))
    c = exp.paren(exp.Sub(this=lit(3), expression=truth_code)) if least else truth_code
    packed = exp.Add(this=exp.Mul(this=col("dn"), expression=lit(4)), expression=c)
    x = state.fact("labs", max_where(packed, exp.and_(*conds)))
    rem: exp.Expression = exp.paren(exp.Mod(this=x, expression=lit(4)))
    if least:
        rem = exp.paren(exp.Sub(this=lit(3), expression=rem))
    start = dates.day_number_of(state.start(window)) * 4
    return case([(exp.LT(this=x.copy(), expression=lit(start)), exp.Null())], rem)


def last_day_fact(
    state: State,
    keys: tuple[str, ...],
    why: str,
    window: Window | None,
    truth: exp.Expression,
    favourable: bool,
) -> exp.Expression:
    """Per person, the truth on the newest day with a value inside the look-back (UNKNOWN
    without one); several values that day (their order unknown) give the least favourable
    truth, as the evaluator's ``conservative`` does (FALSE < UNKNOWN < TRUE under an
    inclusion, the mirror otherwise)."""
    state.need("labs", why, "labs", keys)
    c = newest_day_code(state, keys, window, code(truth), numeric=True, least=favourable)
    return open_code(c)


def _bound(node: Measurement, *, upper: bool) -> exp.Expression:
    own = col("ref_high" if upper else "ref_low")
    default = vocab.default_range(node.concept)
    value = None if default is None else (default[1] if upper else default[0])
    return exp.Coalesce(
        this=own,
        expressions=[
            num(value) if value is not None else exp.cast(exp.Null(), exp.DataType.build("double"))
        ],
    )


def judge(node: Measurement) -> exp.Expression:
    """One row against the node's threshold (absolute in the canonical unit, or k x ULN/LLN)."""
    if node.value is not None:
        assert node.unit is not None
        thr, _ = vocab.convert(node.concept, node.value, node.unit)
        threshold: exp.Expression = num(thr)
    else:
        upper = node.uln_multiple is not None
        multiple = node.uln_multiple if upper else node.lln_multiple
        assert multiple is not None
        threshold = exp.Mul(this=num(multiple), expression=_bound(node, upper=upper))
    return censored_compare(node.comparator, threshold, col("value"), col("censor"))


@COMPILER.register(Measurement)
def _measurement(node: Measurement, scope: Scope) -> exp.Expression:
    state = scope.state
    why = node.id or node.concept
    if node.aggregate == "any":
        state.need("labs", why, "labs", (node.concept,))
        rows = exp.and_(
            exp.EQ(this=col("key"), expression=lit(node.concept)),
            not_null(col("value")),
            exp.GTE(this=col("d"), expression=dates.literal(state.start(node.lookback))),
        )
        return open_code(state.fact("labs", max_where(code(judge(node)), rows)))
    return last_day_fact(state, (node.concept,), why, node.lookback, judge(node), scope.favourable)


@COMPILER.register(Score)
def _score(node: Score, scope: Scope) -> exp.Expression:
    state = scope.state
    return last_day_fact(
        state,
        (node.instrument,),
        node.id or node.instrument,
        node.lookback,
        holds_const(node.comparator, col("value"), node.value),
        scope.favourable,
    )


def qualitative(keys: tuple[str, ...]) -> exp.Expression:
    """'positive' / 'negative' / NULL for one row: coded result, else value vs the upper limit."""
    defaults = []
    for key in sorted(set(keys)):
        rng = vocab.default_range(key)
        if rng is not None and rng[1] is not None:
            defaults.append((exp.EQ(this=col("key"), expression=lit(key)), num(rng[1])))
    none = exp.cast(exp.Null(), exp.DataType.build("double"))
    high = exp.Coalesce(
        this=col("ref_high"), expressions=[case(defaults, none) if defaults else none]
    )
    above = censored_compare(Comparator.GT, high, col("value"), col("censor"))
    return case(
        [
            (not_null(col("result")), col("result")),
            (is_null(col("value")), exp.cast(exp.Null(), TEXT)),
            (above, lit("positive")),
            (exp.Not(this=exp.paren(above.copy())), lit("negative")),
        ],
        exp.cast(exp.Null(), TEXT),
    )


@COMPILER.register(Serology)
def _serology(node: Serology, scope: Scope) -> exp.Expression:
    state = scope.state
    tests = (node.concept, *node.also)
    why = node.id or node.concept
    state.need("labs", why, "labs", tests)
    q = qualitative(tests)
    if node.ever:
        # any row ever: TRUE if one gives the result, else UNKNOWN if one is unclear
        rows = in_(col("key"), tests)  # f_labs: rows up to the screening date
        row = case(
            [(exp.EQ(this=q, expression=lit(node.result)), lit(2)), (is_null(q.copy()), lit(1))],
            lit(0),
        )
        return open_code(state.fact("labs", max_where(row, rows)))
    # the newest day's rows: a positive one decides, else an unclear one leaves it UNKNOWN
    row = case(
        [(exp.EQ(this=q, expression=lit("positive")), lit(2)), (is_null(q.copy()), lit(1))],
        lit(0),
    )
    c = newest_day_code(state, tests, node.lookback, row, numeric=False, least=False)
    return case(
        [
            (exp.EQ(this=c, expression=lit(2)), lit(node.result == "positive")),
            (exp.EQ(this=c.copy(), expression=lit(0)), lit(node.result == "negative")),
        ],
        null_bool(),
    )


@COMPILER.register(Derived)
def _derived(node: Derived, scope: Scope) -> exp.Expression:
    """A reported value that settles it, else the calculator's formula on the latest inputs.

    Inputs outside the calculator's accepted ranges (the evaluator's CartrialError) are UNKNOWN.
    """
    state = scope.state
    why = node.id or node.calculator
    if node.calculator == "crcl_cockcroft_gault" and node.weight_basis != "actual":
        raise NotImplementedError(
            f"{why}: Cockcroft-Gault with {node.weight_basis} body weight is not compiled to SQL"
        )
    state.need("person", why)
    parts: dict[str, exp.Select] = {}
    if node.accept_reported and node.calculator in vocab.concept_keys("labs"):
        parts["rep"] = latest(state, (node.calculator,), why, node.lookback)
    # several creatinines on the newest day: the conservative one, as the evaluator picks it
    # (CrCl/eGFR fall as creatinine rises: the highest fails a lower bound of an inclusion)
    upward = node.comparator in (Comparator.GE, Comparator.GT)
    parts["scr"] = day_extreme(
        state, "creatinine", why, node.lookback, highest=upward == scope.favourable
    )
    if node.calculator == "crcl_cockcroft_gault":
        parts["wt"] = latest(state, ("body_weight",), why, node.lookback)
    if node.calculator == "egfr_bedside_schwartz":
        parts["ht"] = latest(state, ("body_height",), why, None, any_date=True)
    q = exp.select(col("person_id", "p")).from_(exp.to_table("cdm_person").as_("p"))
    for name, sub in parts.items():
        q = q.join(
            sub.subquery(name),
            on=exp.EQ(this=col("person_id", name), expression=col("person_id", "p")),
            join_type="left",
        )
    age = age_expression(scope)
    scr = col("value", "scr")
    sex = col("sex", "p")
    missing: list[exp.Expression] = [is_null(scr), is_null(age)]
    valid: list[exp.Expression] = [
        exp.GT(this=scr.copy(), expression=lit(0)),
        exp.LTE(this=scr.copy(), expression=num(SCR_MAX_MG_DL)),
    ]
    if node.calculator != "egfr_bedside_schwartz":
        missing.append(is_null(sex))
        valid += [
            exp.GTE(this=age.copy(), expression=lit(18)),
            exp.LTE(this=age.copy(), expression=num(AGE_MAX_YEARS)),
        ]
    female = exp.EQ(this=sex.copy(), expression=lit("female"))
    if node.calculator == "crcl_cockcroft_gault":
        wt = col("value", "wt")
        missing.append(is_null(wt))
        valid += [
            exp.GT(this=wt.copy(), expression=lit(0)),
            exp.LTE(this=wt.copy(), expression=num(WEIGHT_MAX_KG)),
        ]
        # (140 - age) x weight / (72 x SCr) x 0.85 if female, in the evaluator's order
        formula: exp.Expression = exp.Mul(
            this=exp.Div(
                this=exp.Mul(
                    this=exp.paren(exp.Sub(this=num(140.0), expression=age.copy())),
                    expression=wt.copy(),
                ),
                expression=exp.paren(
                    exp.Mul(
                        this=num(72.0), expression=exp.Nullif(this=scr.copy(), expression=num(0.0))
                    )
                ),
            ),
            expression=case([(female, num(0.85))], num(1.0)),
        )
    elif node.calculator == "egfr_ckd_epi_2021":
        kappa = case([(female.copy(), num(0.7))], num(0.9))
        alpha = case([(female.copy(), num(-0.241))], num(-0.302))
        ratio = exp.Div(this=exp.Nullif(this=scr.copy(), expression=num(0.0)), expression=kappa)
        formula = exp.Mul(
            this=exp.Mul(
                this=exp.Mul(
                    this=exp.Mul(
                        this=num(142.0),
                        expression=exp.Pow(
                            this=exp.Least(this=ratio, expressions=[num(1.0)]), expression=alpha
                        ),
                    ),
                    expression=exp.Pow(
                        this=exp.Greatest(this=ratio.copy(), expressions=[num(1.0)]),
                        expression=num(-1.2),
                    ),
                ),
                expression=exp.Pow(this=num(0.9938), expression=age.copy()),
            ),
            expression=case([(female.copy(), num(1.012))], num(1.0)),
        )
    else:
        ht = col("value", "ht")
        missing.append(is_null(ht))
        valid += [
            exp.GTE(this=ht.copy(), expression=num(HEIGHT_MIN_CM)),
            exp.LTE(this=ht.copy(), expression=num(HEIGHT_MAX_CM)),
            exp.GTE(this=age.copy(), expression=lit(1)),
            exp.LTE(this=age.copy(), expression=lit(18)),
        ]
        formula = exp.Div(
            this=exp.Mul(this=num(0.413), expression=ht.copy()),
            expression=exp.Nullif(this=scr.copy(), expression=num(0.0)),
        )
    computed = case(
        [(or_(*missing), null_bool()), (not_(and_(*valid)), null_bool())],
        holds_const(node.comparator, formula, node.value),
    )
    if "rep" in parts:
        reported = censored_compare(
            node.comparator, num(node.value), col("value", "rep"), col("censor", "rep")
        )
        s = case([(not_null(reported), reported.copy())], computed)
    else:
        s = computed
    return state.atom(q.select(alias(s, "s")))

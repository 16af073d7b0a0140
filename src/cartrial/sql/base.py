"""Record extracts: the CDM's rows mapped to concept keys, one CTE per kind of record.

``cdm_kc`` (group, key, concept_id) is each needed key's concept set, resolved through the CDM's
own ``concept`` (by vocabulary_id + concept_code) and ``concept_ancestor`` (all descendants). The
extracts join it once; every criterion then reads only the small extract it needs:

* ``cdm_person``  person_id, sex ('female'/'male'/NULL), birth year/month/day
* ``cdm_labs``    person_id, key, d, dn (d as YYYYMMDD), value (canonical unit), result, censor, ref_high, ref_low,
  src, rid — from ``measurement`` (and ``observation`` when present)
* ``cdm_conditions`` person_id, key, start_, end_ (standard or source concept)
* ``cdm_drugs``   person_id, key, start_, end_, route, outcome (from stop_reason)
* ``cdm_vaccines`` person_id, key, d ; ``cdm_procedures`` person_id, key, d
"""

from __future__ import annotations

from sqlglot import exp

from cartrial.sql import concepts, dates
from cartrial.sql.build import (
    TEXT,
    alias,
    case,
    col,
    in_,
    is_null,
    lit,
    not_null,
    or_,
    values,
)
from cartrial.sql.context import State


def _kc_join(
    state: State, group: str, on: exp.Expression, name: str = "k"
) -> tuple[exp.Expression, exp.Expression]:
    cond = exp.and_(
        exp.EQ(this=col("grp", name), expression=lit(group)),
        exp.EQ(this=col("concept_id", name), expression=on),
    )
    return exp.to_table("cdm_kc").as_(name), cond


def key_concepts(state: State) -> exp.Select:
    rows: list[tuple[str, str, str, str]] = []
    for group, keys in sorted(state.keys.items()):
        rows.extend(concepts.code_rows(group, keys))
    codes = values(rows, "v", ("grp", "key", "vid", "code"))
    cdm = state.cdm
    on_code = exp.and_(
        exp.EQ(this=col("vocabulary_id", "c"), expression=col("vid", "v")),
        exp.EQ(this=col("concept_code", "c"), expression=col("code", "v")),
    )
    direct = (
        exp.select(col("grp", "v"), col("key", "v"), col("concept_id", "c"))
        .from_(codes)
        .join(cdm.table("concept", "c"), on=on_code)
    )
    below = (
        exp.select(
            col("grp", "v"),
            col("key", "v"),
            alias(col("descendant_concept_id", "ca"), "concept_id"),
        )
        .from_(codes.copy())
        .join(cdm.table("concept", "c"), on=on_code.copy())
        .join(
            cdm.table("concept_ancestor", "ca"),
            on=exp.EQ(this=col("ancestor_concept_id", "ca"), expression=col("concept_id", "c")),
        )
    )
    both = exp.union(direct, below, distinct=True)
    return exp.select("grp", "key", "concept_id").from_(both.subquery("u"))


def units(state: State) -> exp.Select:
    rows = concepts.unit_rows(state.keys.get("labs", set()), (*state.cdm.unit_codes, None))
    return exp.select("key", "unit_code", "factor").from_(
        values(
            [(k, u, f) for k, u, f in rows],
            "f",
            ("key", "unit_code", "factor"),
            (TEXT, TEXT, exp.DataType.build("double")),
        )
    )


def _result(value_concept: exp.Expression) -> exp.Expression:
    return case(
        [
            (
                exp.In(
                    this=value_concept,
                    expressions=[lit(i) for i in sorted(concepts.POSITIVE_RESULTS)],
                ),
                lit("positive"),
            ),
            (
                exp.In(
                    this=value_concept,
                    expressions=[lit(i) for i in sorted(concepts.NEGATIVE_RESULTS)],
                ),
                lit("negative"),
            ),
        ],
        exp.cast(exp.Null(), TEXT),
    )


def _unit_code(unit_id: exp.Expression) -> exp.Expression:
    return case(
        [(or_(is_null(unit_id), exp.EQ(this=unit_id, expression=lit(0))), lit(""))],
        col("concept_code", "u"),
    )


def _lab_source(state: State, table: str, prefix: str, src: int, full: bool) -> exp.Select:
    t = "m"
    value = col("value_as_number", t)
    factor = col("factor", "f")
    result = _result(col("value_as_concept_id", t))
    if full:
        censor = case(
            [
                (exp.EQ(this=col("operator_concept_id", t), expression=lit(i)), lit(s))
                for i, s in sorted(concepts.OPERATORS.items())
            ],
            exp.cast(exp.Null(), TEXT),
        )
        high: exp.Expression = exp.Mul(this=col("range_high", t), expression=factor)
        low: exp.Expression = exp.Mul(this=col("range_low", t), expression=factor)
    else:
        censor = exp.cast(exp.Null(), TEXT)
        high = exp.cast(exp.Null(), exp.DataType.build("double"))
        low = high.copy()
    kc, on = _kc_join(state, "labs", col(f"{prefix}_concept_id", t))
    return (
        exp.select(
            col("person_id", t),
            col("key", "k"),
            alias(col(f"{prefix}_date", t), "d"),
            alias(dates.day_number(col(f"{prefix}_date", t)), "dn"),
            alias(exp.Mul(this=value, expression=factor), "value"),
            alias(result, "result"),
            alias(censor, "censor"),
            alias(high, "ref_high"),
            alias(low, "ref_low"),
            alias(lit(src), "src"),
            alias(col(f"{table}_id", t), "rid"),
        )
        .from_(state.cdm.table(table, t))
        .join(kc, on=on)
        .join(
            state.cdm.table("concept", "u"),
            on=exp.EQ(this=col("concept_id", "u"), expression=col("unit_concept_id", t)),
            join_type="left",
        )
        .join(
            exp.to_table("cdm_units").as_("f"),
            on=exp.and_(
                exp.EQ(this=col("key", "f"), expression=col("key", "k")),
                exp.EQ(
                    this=col("unit_code", "f"), expression=_unit_code(col("unit_concept_id", t))
                ),
            ),
            join_type="left",
        )
        .where(or_(not_null(value), not_null(result.copy())))
    )


def labs(state: State) -> exp.Expression:
    q: exp.Expression = _lab_source(state, "measurement", "measurement", 1, full=True)
    if state.cdm.has("observation"):
        q = exp.union(
            q, _lab_source(state, "observation", "observation", 2, full=False), distinct=False
        )
    return q


def _two_way(
    state: State,
    table: str,
    prefix: str,
    group: str,
    date_col: str,
    extra: list[exp.Expression],
    date_end: str | None = None,
) -> exp.Expression:
    """Rows matched on the standard concept or on the source concept (one row either way)."""
    parts = []
    for which in (f"{prefix}_concept_id", f"{prefix}_source_concept_id"):
        kc, on = _kc_join(state, group, col(which, "t"))
        cols = [col("person_id", "t"), col("key", "k"), alias(col(date_col, "t"), "start_")]
        if date_end:
            cols.append(alias(col(date_end, "t"), "end_"))
        cols.append(alias(col(f"{table}_id", "t"), "rid"))
        parts.append(
            exp.select(*cols, *[e.copy() for e in extra])
            .from_(state.cdm.table(table, "t"))
            .join(kc, on=on)
        )
    return exp.union(parts[0], parts[1], distinct=True)


def conditions(state: State) -> exp.Expression:
    return _two_way(
        state,
        "condition_occurrence",
        "condition",
        "conditions",
        "condition_start_date",
        [],
        date_end="condition_end_date",
    )


def procedures(state: State) -> exp.Expression:
    return _two_way(state, "procedure_occurrence", "procedure", "procedures", "procedure_date", [])


def _outcome(stop_reason: exp.Expression) -> exp.Expression:
    """The evaluator's ``status_reason_outcome`` as regular expressions on the stop reason."""
    rules = concepts.outcome_rules()
    text = exp.Lower(this=stop_reason)

    def matches(kind: str) -> exp.Expression:
        return exp.RegexpLike(
            this=text.copy(), expression=lit(concepts.phrase_pattern(rules.get(kind, ())))
        )

    return case(
        [
            (is_null(stop_reason), exp.cast(exp.Null(), TEXT)),
            (matches("negations"), exp.cast(exp.Null(), TEXT)),
            (matches("failure"), lit("failure")),
            (matches("intolerance"), lit("intolerance")),
        ],
        exp.cast(exp.Null(), TEXT),
    )


def drugs(state: State) -> exp.Select:
    t = "t"
    kc, on = _kc_join(state, "medications", col("drug_concept_id", t))
    route_id = col("route_concept_id", t)
    route = case(
        [
            (
                or_(is_null(route_id), exp.EQ(this=route_id, expression=lit(0))),
                exp.cast(exp.Null(), TEXT),
            )
        ],
        col("concept_name", "r"),
    )
    return (
        exp.select(
            col("person_id", t),
            col("key", "k"),
            alias(col("drug_exposure_start_date", t), "start_"),
            alias(col("drug_exposure_end_date", t), "end_"),
            alias(route, "route"),
            alias(_outcome(col("stop_reason", t)), "outcome"),
            alias(col("drug_exposure_id", t), "rid"),
        )
        .from_(state.cdm.table("drug_exposure", t))
        .join(kc, on=on)
        .join(
            state.cdm.table("concept", "r"),
            on=exp.EQ(this=col("concept_id", "r"), expression=route_id),
            join_type="left",
        )
    )


def vaccines(state: State) -> exp.Select:
    t = "t"
    kc, on = _kc_join(state, "vaccines", col("drug_concept_id", t))
    return (
        exp.select(
            col("person_id", t),
            col("key", "k"),
            alias(col("drug_exposure_start_date", t), "d"),
            alias(col("drug_exposure_id", t), "rid"),
        )
        .from_(state.cdm.table("drug_exposure", t))
        .join(kc, on=on)
    )


def person(state: State) -> exp.Select:
    t = "t"
    y, m, d = col("year_of_birth", t), col("month_of_birth", t), col("day_of_birth", t)
    bdt = col("birth_datetime", t)
    full = exp.and_(not_null(y), not_null(m), not_null(d))

    def part(name: str, own: exp.Expression) -> exp.Expression:
        return case([(full.copy(), own)], exp.Extract(this=exp.var(name), expression=bdt.copy()))

    gender = col("gender_concept_id", t)
    sex = case(
        [
            (exp.EQ(this=gender, expression=lit(cid)), lit(s.value))
            for cid, s in sorted(concepts.GENDER.items())
        ],
        exp.cast(exp.Null(), TEXT),
    )
    return exp.select(
        col("person_id", t),
        alias(sex, "sex"),
        alias(part("YEAR", y), "by_"),
        alias(part("MONTH", m), "bm"),
        alias(part("DAY", d), "bd"),
    ).from_(state.cdm.table("person", t))


EXTRACTS = {
    "labs": labs,
    "conditions": conditions,
    "drugs": drugs,
    "vaccines": vaccines,
    "procedures": procedures,
}


def ctes(state: State) -> list[tuple[str, exp.Expression]]:
    """The extracts the compiled criteria read, in dependency order."""
    out: list[tuple[str, exp.Expression]] = [("cdm_person", person(state))]
    if any(b in state.bases for b in EXTRACTS):
        out.append(("cdm_kc", key_concepts(state)))
    if "labs" in state.bases:
        out.append(("cdm_units", units(state)))
    for name, fn in EXTRACTS.items():
        if name in state.bases:
            out.append((f"cdm_{name}", fn(state)))
    return out


__all__ = ["ctes", "in_"]

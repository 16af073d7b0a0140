"""Per-person facts: every atom over one record extract is a column of ONE GROUP BY.

A criterion atom (a lab on its newest day, a condition ever recorded, an agent that failed...)
is a conditional aggregate, ``MAX(CASE WHEN <the atom's rows> THEN <truth code> END)``, so all
the atoms over ``cdm_labs`` are computed in a single pass over it, and likewise for conditions,
vaccines and procedures. Otherwise each atom would filter (on Spark: recompute) the extract on
its own, and a trial has dozens. A NULL aggregate means the person has no such row: UNKNOWN for
point-in-time data, FALSE for history (closed world), as each builder decides.

* ``f_labs`` / ``f_conditions`` / ``f_vaccines`` / ``f_procedures`` (person_id, f...);
* ``cdm_active`` (person_id, ad...): a condition of a set active on the screening date;
* ``f_drug_agents`` (person_id, key, g...) then ``f_drugs`` (person_id, g...): medication atoms
  count qualifying agents, so one GROUP BY per (person, agent) and one per person.
"""

from __future__ import annotations

from sqlglot import exp

from cartrial.sql import dates
from cartrial.sql.build import alias, col, in_, lit, max_where
from cartrial.sql.context import State


def _eq(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.EQ(this=a, expression=b)


def _grouped(state: State, extract: str) -> exp.Select:
    q = exp.select(col("person_id"), *[alias(e, n) for n, e in state.facts[extract]]).from_(
        f"cdm_{extract}", copy=False
    )
    if extract == "labs":  # every lab atom reads values up to the screening date only
        q = q.where(exp.LTE(this=col("d"), expression=dates.literal(state.as_of)), copy=False)
    return q.group_by(col("person_id"), copy=False)


def _active(state: State) -> exp.Select:
    from cartrial.sql.atoms_history import active_on

    cols = [
        alias(max_where(lit(1), exp.and_(in_(col("key"), keys), active_on(state))), n)
        for keys, n in state.active_sets.items()
    ]
    return (
        exp.select(col("person_id"), *cols)
        .from_("cdm_conditions", copy=False)
        .group_by(col("person_id"), copy=False)
    )


def _drug_agents(state: State) -> exp.Select:
    q = exp.select(
        col("person_id", "t"), col("key", "t"), *[alias(e, n) for n, e, _ in state.drug_agents]
    ).from_(exp.to_table("cdm_drugs").as_("t"), copy=False)
    if state.active_sets:
        q = q.join(
            exp.to_table("cdm_active").as_("ad"),
            on=_eq(col("person_id", "ad"), col("person_id", "t")),
            join_type="left",
            copy=False,
        )
    return q.group_by(col("person_id", "t"), col("key", "t"), copy=False)


def _drugs(state: State) -> exp.Select:
    return (
        exp.select(col("person_id"), *[alias(e, n) for n, _, e in state.drug_agents])
        .from_("f_drug_agents", copy=False)
        .group_by(col("person_id"), copy=False)
    )


def ctes(state: State) -> list[tuple[str, exp.Select]]:
    """The facts CTEs the compiled atoms read, in dependency order."""
    out: list[tuple[str, exp.Select]] = []
    for extract in ("labs", "conditions", "vaccines", "procedures"):
        if extract in state.facts:
            out.append((f"f_{extract}", _grouped(state, extract)))
    if state.active_sets:
        out.append(("cdm_active", _active(state)))
    if state.drug_agents:
        out.append(("f_drug_agents", _drug_agents(state)))
        out.append(("f_drugs", _drugs(state)))
    return out


def joined(state: State) -> list[str]:
    """The per-person facts tables the innermost SELECT joins to the person row."""
    names = [f"f_{e}" for e in ("labs", "conditions", "vaccines", "procedures") if e in state.facts]
    return names + (["f_drugs"] if state.drug_agents else [])

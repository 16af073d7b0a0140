"""The course the seed trials share, as data (used when a protocol gives no schedule of its own).

Days are relative to the CAR-cell infusion (day 0). Source: NCT07193667 (registry page,
"Detailed Description"): screening D-28 to D-6; lymphocyte depletion (FC) D-5 to D-3; rest and
observation D-2 to D-1; infusion D0; safety assessments on the day of infusion and days 4, 7,
10, 14, 21 and 28; efficacy on day 14, day 28, week 8 and week 12; follow-up efficacy at weeks
24, 36 and 52. FC doses: NCT06464679 (fludarabine 25 mg/m²/day and cyclophosphamide
300 mg/m²/day on days -5, -4 and -3).

ASSUMPTION - visit windows. The registry text gives no visit windows. The windows below are
this project's working assumption, chosen to widen with distance from infusion as is usual for
CAR-T protocols, and must be replaced by the protocol's own when it states them:

* safety days 4, 7, 10: +/- 1 day (early CRS/ICANS monitoring must stay close to the day);
* safety days 14, 21, 28 and efficacy weeks 2 and 4: +/- 2 days;
* efficacy weeks 8 and 12: +/- 7 days;
* follow-up weeks 24, 36 and 52: +/- 14 days.
"""

from __future__ import annotations

from cartrial.domain.trial import LymphodepletionAgent, LymphodepletionRegimen, Schedule, Visit


def _visit(name: str, day: int, window: int, kind: str) -> Visit:
    return Visit(name=name, day=day, window_before=window, window_after=window, kind=kind)


SEED_COURSE_SCHEDULE = Schedule(
    screening_start_day=-28,
    screening_end_day=-6,
    lymphodepletion_days=(-5, -4, -3),
    rest_days=(-2, -1),
    visits=(
        _visit("Safety D0 (day of infusion)", 0, 0, "safety"),
        _visit("Safety D4", 4, 1, "safety"),
        _visit("Safety D7", 7, 1, "safety"),
        _visit("Safety D10", 10, 1, "safety"),
        _visit("Safety D14", 14, 2, "safety"),
        _visit("Safety D21", 21, 2, "safety"),
        _visit("Safety D28", 28, 2, "safety"),
        _visit("Efficacy W2", 14, 2, "efficacy"),
        _visit("Efficacy W4", 28, 2, "efficacy"),
        _visit("Efficacy W8", 56, 7, "efficacy"),
        _visit("Efficacy W12", 84, 7, "efficacy"),
        _visit("Follow-up W24", 168, 14, "follow_up"),
        _visit("Follow-up W36", 252, 14, "follow_up"),
        _visit("Follow-up W52", 364, 14, "follow_up"),
    ),
    dlt_window_days=None,  # not stated in the seed text
    source_text=(
        "NCT07193667: screening D-28 to D-6; lymphocyte depletion D-5 to D-3; rest D-2 to D-1; "
        "infusion D0; safety days 4, 7, 10, 14, 21, 28; efficacy day 14, day 28, weeks 8 and 12; "
        "follow-up weeks 24, 36, 52. Visit windows are a project assumption (see module doc)."
    ),
)

SEED_FC_REGIMEN = LymphodepletionRegimen(
    agents=(
        LymphodepletionAgent(drug="fludarabine", dose_mg_per_m2_per_day=25, days=(-5, -4, -3)),
        LymphodepletionAgent(
            drug="cyclophosphamide", dose_mg_per_m2_per_day=300, days=(-5, -4, -3)
        ),
    ),
    fludarabine_renal_scheme="fludara_us_label",
    source_text=(
        "NCT06464679: Fludarabine (25 mg/m2 per day) and Cyclophosphamide (300mg/m2 per day) on "
        "day -5, -4, and -3."
    ),
)

"""ICE score, CAPD, and ASTCT ICANS grading (adult and child). Reference sheet §3.2."""

from __future__ import annotations

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, flag, integer
from cartrial.domain import DataError

REF_ASTCT_ICANS = (
    "Lee DW, Santomasso BD, Locke FL, et al. ASTCT consensus grading for cytokine release "
    "syndrome and neurologic toxicity associated with immune effector cells. Biol Blood Marrow "
    "Transplant 2019;25:625-638 (ICE score; ICANS grading for adults and for children)."
)
REF_CAPD = (
    "Traube C, Silver G, Kearney J, et al. Cornell Assessment of Pediatric Delirium: a valid, "
    "rapid, observational tool for screening delirium in the PICU. Crit Care Med 2014;42:656-63."
)

CONSCIOUSNESS_GRADES = {
    "normal": 0,
    "awakens_spontaneously": 1,
    "awakens_to_voice": 2,
    "tactile_only": 3,
    "vigorous_or_unarousable": 4,
}
SEIZURE_GRADES = {
    "none": 0,
    "rapidly_resolving_or_nonconvulsive_resolved_with_intervention": 3,
    "prolonged_or_repetitive": 4,
}
MOTOR_GRADES = {"none": 0, "deep_focal_weakness": 4}
EDEMA_GRADES = {"none": 0, "focal": 3, "diffuse_or_posturing_or_cn6_or_papilledema_or_cushing": 4}

ICE_ITEMS = {
    "orientation": 4,  # year, month, city, hospital
    "naming": 3,  # three objects
    "following_commands": 1,
    "writing": 1,  # a standard sentence
    "attention": 1,  # count backwards from 100 by 10
}

CAPD_ANSWERS = ("never", "rarely", "sometimes", "often", "always")
CAPD_REVERSED_ITEMS = (
    "eye_contact",
    "purposeful_actions",
    "aware_of_surroundings",
    "communicates_needs_and_wants",
)
"""Items 1-4: never 4, rarely 3, sometimes 2, often 1, always 0."""
CAPD_DIRECT_ITEMS = ("restless", "inconsolable", "underactive", "long_time_to_respond")
"""Items 5-8: never 0 ... always 4."""


def ice_score(
    *, orientation: int, naming: int, following_commands: int, writing: int, attention: int
) -> CalcResult:
    """Immune Effector Cell-associated Encephalopathy (ICE) score, 0-10 (10 = no impairment).

    Orientation 0-4, naming 0-3, following commands 0-1, writing 0-1, attention 0-1.
    Source: Lee DW et al. BBMT 2019;25:625-638.
    """
    name = "ice_score"
    given = {
        "orientation": orientation,
        "naming": naming,
        "following_commands": following_commands,
        "writing": writing,
        "attention": attention,
    }
    items = {k: integer(v, k, where=name, lo=0, hi=ICE_ITEMS[k]) for k, v in given.items()}
    total = sum(items.values())
    return CalcResult(
        calculator=name,
        value=total,
        category="no impairment" if total == 10 else "impaired",
        components=items,
        conventions={"maximum": 10},
        reference=REF_ASTCT_ICANS,
    )


def _ice_domain_grade(score: int | None) -> int:
    if score is None:
        return 4
    if score == 10:
        return 0
    if score >= 7:
        return 1
    if score >= 3:
        return 2
    return 3


def _other_domains(
    name: str, consciousness: str, seizure: str, motor: str, edema: str
) -> dict[str, int]:
    return {
        "consciousness_grade": CONSCIOUSNESS_GRADES[
            choice(consciousness, "consciousness", where=name, options=CONSCIOUSNESS_GRADES)
        ],
        "seizure_grade": SEIZURE_GRADES[
            choice(seizure, "seizure", where=name, options=SEIZURE_GRADES)
        ],
        "motor_grade": MOTOR_GRADES[choice(motor, "motor", where=name, options=MOTOR_GRADES)],
        "edema_grade": EDEMA_GRADES[choice(edema, "edema", where=name, options=EDEMA_GRADES)],
    }


def _result(
    name: str, grade: int, components: dict[str, object], conventions: dict[str, object]
) -> CalcResult:
    return CalcResult(
        calculator=name,
        value=grade,
        category=f"grade {grade}" if grade else "no ICANS",
        components=components,
        conventions={
            "not_graded_here": "tremor, myoclonus (CTCAE); intracranial haemorrhage (excluded)",
            "attribution": "findings must not be attributable to another cause",
            **conventions,
        },
        reference=REF_ASTCT_ICANS,
    )


def icans_grade_astct(
    *,
    ice_score: int | None,
    consciousness: str = "normal",
    seizure: str = "none",
    motor: str = "none",
    edema: str = "none",
    death_due_to_icans: bool = False,
) -> CalcResult:
    """ASTCT 2019 ICANS grade for adults (and children ≥ 12 able to do the ICE), 0-5.

    The grade is the most severe domain: ICE 7-9 → 1, 3-6 → 2, 0-2 → 3, ``ice_score=None``
    (cannot perform ICE because unarousable) → 4; consciousness, seizure, motor and raised
    ICP/cerebral oedema per §6.3 vocabularies. ICE 0 while awake with global aphasia is grade 3.
    ``ice_score=None`` is accepted only with ``consciousness="vigorous_or_unarousable"``.
    Source: Lee DW et al. BBMT 2019;25:625-638 (reference sheet §3.2).
    """
    name = "icans_grade_astct"
    ice = None if ice_score is None else integer(ice_score, "ice_score", where=name, lo=0, hi=10)
    domains = _other_domains(name, consciousness, seizure, motor, edema)
    if ice is None and consciousness != "vigorous_or_unarousable":
        raise DataError(
            "null means the ICE could not be performed because the patient is unarousable; "
            f"consciousness is {consciousness!r}",
            where=name,
            field="ice_score",
        )
    died = flag(death_due_to_icans, "death_due_to_icans", where=name)
    ice_grade = _ice_domain_grade(ice)
    grade = 5 if died else max(ice_grade, *domains.values())
    return _result(
        name,
        grade,
        {"ice_score": ice, "ice_grade": ice_grade, **domains, "death_due_to_icans": died},
        {"population": "adults and children >= 12 years able to perform ICE"},
    )


def capd_score(
    *,
    eye_contact: str,
    purposeful_actions: str,
    aware_of_surroundings: str,
    communicates_needs_and_wants: str,
    restless: str,
    inconsolable: str,
    underactive: str,
    long_time_to_respond: str,
) -> CalcResult:
    """Cornell Assessment of Pediatric Delirium (CAPD), 0-32; ≥ 9 is positive.

    Answers are never/rarely/sometimes/often/always. Items 1-4 (eye contact, purposeful actions,
    aware of surroundings, communicates needs and wants) score never 4 ... always 0; items 5-8
    (restless, inconsolable, underactive, takes a long time to respond) score never 0 ...
    always 4. Source: Traube C et al. Crit Care Med 2014;42:656-63.
    """
    name = "capd_score"
    answers = {
        "eye_contact": eye_contact,
        "purposeful_actions": purposeful_actions,
        "aware_of_surroundings": aware_of_surroundings,
        "communicates_needs_and_wants": communicates_needs_and_wants,
        "restless": restless,
        "inconsolable": inconsolable,
        "underactive": underactive,
        "long_time_to_respond": long_time_to_respond,
    }
    points: dict[str, int] = {}
    for item, answer in answers.items():
        idx = CAPD_ANSWERS.index(choice(answer, item, where=name, options=CAPD_ANSWERS))
        points[item] = 4 - idx if item in CAPD_REVERSED_ITEMS else idx
    total = sum(points.values())
    return CalcResult(
        calculator=name,
        value=total,
        category="positive" if total >= 9 else "negative",
        components={"answers": answers, "points": points},
        conventions={"positive_threshold": ">= 9", "maximum": 32},
        reference=REF_CAPD,
    )


def icans_grade_astct_pediatric(
    *,
    capd_score: int | None,
    consciousness: str = "normal",
    seizure: str = "none",
    motor: str = "none",
    edema: str = "none",
    death_due_to_icans: bool = False,
) -> CalcResult:
    """ASTCT 2019 ICANS grade for children < 12 years (or with developmental delay), 0-5.

    CAPD replaces the ICE: CAPD 1-8 → grade 1 or 2, decided by the level of consciousness
    (awakens to voice or worse → 2, otherwise 1); CAPD ≥ 9 → 3; unable to perform CAPD
    (``capd_score=None``) → 4; CAPD 0 → no ICANS from this domain (reference sheet §3.2 [?]).
    Other domains as for adults; the grade is the most severe domain.
    Source: Lee DW et al. BBMT 2019;25:625-638.
    """
    name = "icans_grade_astct_pediatric"
    capd = (
        None if capd_score is None else integer(capd_score, "capd_score", where=name, lo=0, hi=32)
    )
    domains = _other_domains(name, consciousness, seizure, motor, edema)
    died = flag(death_due_to_icans, "death_due_to_icans", where=name)
    if capd is None:
        capd_grade = 4
    elif capd >= 9:
        capd_grade = 3
    elif capd >= 1:
        capd_grade = 2 if domains["consciousness_grade"] >= 2 else 1
    else:
        capd_grade = 0
    grade = 5 if died else max(capd_grade, *domains.values())
    return _result(
        name,
        grade,
        {"capd_score": capd, "capd_grade": capd_grade, **domains, "death_due_to_icans": died},
        {
            "population": "children < 12 years or with developmental delay (CAPD)",
            "capd_1_to_8": "grade 2 if consciousness is awakens_to_voice or worse, else grade 1",
            "capd_0": "no ICANS from the CAPD domain",
        },
    )

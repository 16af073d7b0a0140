"""Drug and drug-class exposure: which drugs (minus a route exception such as "except
inhaled steroids"), whether the text asks for failure or intolerance, and a minimum dose when
the list names one drug (a dose is never spread over every drug of a list)."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    Comparator,
    Criterion,
    ManualReview,
    MedicationHistory,
    Not,
)
from cartrial.domain.timewindow import TimeUnit, Window
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import HL, Ctx, Hit, merge_notes, window
from cartrial.ingest.parse.patterns import (
    CMP_PREFIX,
    NUM,
    comparator,
    to_number,
)
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_FAILURE_RX = re.compile(
    r"fail\w*|ineffective|inadequate|insufficient|refractory|no\s+response|not\s+respond\w*|"
    r"did\s+not\s+(?:show|achieve|respond)|unsatisfactory|intoleran\w*|toxicit\w*|non-?respon\w*|"
    r"resistan\w*|still\s+(?:have|has)\s+(?:relapsed|active)|relapse",
    _I,
)
_ALLERGY_RX = re.compile(
    r"allerg\w*|hypersensitiv\w*|contraindicat\w*|intolerance\s+to|anaphyla\w*", _I
)
_ALLERGY_STEMS = ("allerg", "hypersensitiv", "contraindicat", "intolerance", "anaphyla")


def _allergy_hinted(ctx: Ctx) -> bool:
    """Can ``_ALLERGY_RX`` match in the clause (or a blanked copy of it)? Each of its words
    must occur; plain substring tests say the same as the case-blind regex in ASCII (speed)."""
    return not ctx.low.isascii() or any(w in ctx.low for w in _ALLERGY_STEMS)


#: a comparator and a number right after a drug name, with no unit after the number
_UNITLESS_DOSE = re.compile(
    rf"\s*(?:>=|<=|>|<)\s*{NUM}(?![\d.,])(?!\s*(?:m?g|[uµ]g|mcg|%|/|units?|iu)\b)"
    # "cyclophosphamide > 3 months before screening": a time, not a dose
    r"(?!\s*(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|half)\b)",
    _I,
)
#: "unless contraindicated", "(if not medically contraindicated)": a waiver, not an allergy
_WAIVER_RX = re.compile(
    r"\b(?:unless|if\s+not|except\s+(?:when|where|if))\s+(?:\w+\s+){0,2}?contraindicated\b", _I
)
_DOSE_KG_RX = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})?\s*(?P<val>{NUM})\s*mg\s*/\s*kg\s*(?:/\s*d(?:ay)?|\s*per\s+day|/d|\s*daily)",
    _I,
)
_DOSE_DAY_RX = re.compile(
    rf"(?P<cmp>{CMP_PREFIX})\s*(?P<val>{NUM})\s*mg\s*(?:/\s*d(?:ay)?\b|\s*per\s+day|\s*daily)",
    _I,
)
_NO_BEFORE = re.compile(
    r"(?<![\w-])(?:no|without|never|free\s+of)\s+(?:(?:prior|previous|current|concomitant|"
    r"recent|any|use\s+of|treatment\s+with|therapy\s+with|exposure\s+to|support\s+(?:of|with)|"
    r"the|a|an)\s+)*$",
    _I,
)
_MED_EXC_RX = re.compile(r"\(?\s*(?:except|excluding|other\s+than|apart\s+from)\b[^)]*\)?", _I)
_ROUTES_RX = re.compile(
    r"inhal\w*|topical\w*|intra-?articular|local\w*|ophthalmic|nasal|cutaneous", _I
)
_ROUTE_NAMES = {
    "inhal": "inhalation",
    "topic": "topical",
    "intra": "intra-articular",
    "local": "topical",
    "ophth": "ophthalmic",
    "nasal": "nasal",
    "cutan": "topical",
}


def medications(ctx: Ctx, text: str, base: int) -> list[Hit]:
    drugs = [(k, s, e) for k, s, e in lx.find_all(lx.DRUGS, text, base)]
    classes = [
        (k, s, e)
        for k, s, e in lx.find_all(lx.DRUG_CLASSES, text, base)
        if k not in ("car_t", "cd19_targeted", "bcma_targeted", "gene_therapy", "live_vaccine")
    ]
    generic = [c for c in classes if c[0] in lx.CLASS_EXPANSIONS]
    named = [c for c in classes if c[0] not in lx.CLASS_EXPANSIONS]
    if drugs or named:
        classes = named  # the drugs are listed: "routine treatment" adds nothing
    else:
        classes = [(k2, s, e) for k, s, e in generic for k2 in lx.CLASS_EXPANSIONS[k]]
    if not drugs and not classes:
        return []
    mentions = drugs + classes
    for w in ctx.windows_in(base, base + len(text)):
        ws, we = w.start - base, w.end - base
        if any(e <= ws for _k, _s, e in mentions) and any(s >= we for _k, s, _e in mentions):
            # "rituximab within 6 months or other biologics within 5 half-lives": a window
            # between two drugs ends the first list; each part is read on its own (blanked,
            # so the offsets stay)
            head = text[:we] + " " * (len(text) - we)
            tail = " " * we + text[we:]
            return medications(ctx, head, base) + medications(ctx, tail, base)
    if _allergy_hinted(ctx) and _ALLERGY_RX.search(_WAIVER_RX.sub(" ", text)):
        return []
    for _k, s, e in drugs:
        bare = _UNITLESS_DOSE.match(text, e)
        if bare is not None:
            # "prednisone >= 100 within 8 w": a dose bound without its unit; reading only the
            # exposure would widen the criterion, so the stretch goes to a person
            return [
                Hit(
                    base + s,
                    base + bare.end(),
                    lambda c, w, a, b, cf: ManualReview(
                        data_hint="dose",
                        **c.common(a, b, 1.0, "a dose bound without a unit: check by hand"),
                    ),
                    frozenset(),
                    1.0,
                    computable=False,
                    kind="manual",
                )
            ]
    first = min(x[1] for x in drugs + classes)
    if re.search(r"\b(?:unless|if|when|whether)\b|^\W*\((?:i|ii|iii|iv)\)", text[:first], _I):
        return []
    # split off an exception ("except inhaled steroids") for routes
    exc = (
        _MED_EXC_RX.search(text)
        if ctx.has("except", "excluding", "other than", "apart from")
        else None
    )
    exclude_routes: tuple[str, ...] = ()
    if exc:
        routes = [
            _ROUTE_NAMES[r.group(0).lower()[:5]]
            for r in _ROUTES_RX.finditer(exc.group(0))
            if r.group(0).lower()[:5] in _ROUTE_NAMES
        ]
        exclude_routes = tuple(dict.fromkeys(routes))
        drugs = [d for d in drugs if not (exc.start() <= d[1] < exc.end())]
        classes = [c for c in classes if not (exc.start() <= c[1] < exc.end())]
        if not drugs and not classes:
            return []
    drug_keys = tuple(dict.fromkeys(k for k, _, _ in drugs))
    class_keys = tuple(dict.fromkeys(k for k, _, _ in classes))
    spans = [(s, e) for _, s, e in drugs + classes]
    s = min(a for a, _ in spans)
    e = max(b for _, b in spans)
    failure = bool(_FAILURE_RX.search(text)) and ctx.section == "inclusion"
    # a dose belongs to one drug: a list with one dose is left to the dose rules (therapy.py),
    # never spread over every drug of the list
    single = len(set(drug_keys) | set(class_keys)) == 1
    has_mg = "mg" in ctx.low
    per_kg = _DOSE_KG_RX.search(text) if has_mg and single else None
    per_day = _DOSE_DAY_RX.search(text) if has_mg else None
    if (
        per_day is not None
        and not single
        and comparator(per_day.group("cmp"))
        in (
            Comparator.GE,
            Comparator.GT,
        )
    ):
        per_day = None
    dose_kg = dose_day = None
    if per_kg and comparator(per_kg.group("cmp")) in (Comparator.GE, Comparator.GT):
        dose_kg = to_number(per_kg.group("val"))
        e = max(e, per_kg.end())
    elif per_day and comparator(per_day.group("cmp")) in (Comparator.GE, Comparator.GT):
        dose_day = to_number(per_day.group("val"))
        e = max(e, per_day.end())
    elif per_day and comparator(per_day.group("cmp")) in (Comparator.LT, Comparator.LE):
        return []  # "unable to taper below 7.5 mg/day": judgment, not history
    conf = 0.5 if failure else 0.8
    # "no rituximab within 6 months", "without G-CSF support": the exposure is what must
    # not have happened (a bare "not" is left alone: "not responded to rituximab")
    # (things no record codes stay plain, so they go to review as before)
    negated = bool(_NO_BEFORE.search(text, 0, first)) and not all(
        k in lx.UNCODABLE for k in (*drug_keys, *class_keys)
    )
    outcome = "any"
    note = None
    if failure:
        outcome = (
            "failure_or_intolerance" if re.search(r"intoleran|toxicit", text, _I) else "failure"
        )
        note = "treatment-failure requirement: check which drugs, how many and for how long"
    if exclude_routes:
        note = merge_notes(note, "routes excluded: " + ", ".join(exclude_routes))

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        within = min_duration = None
        extra = None
        if w is not None:
            if w.direction == "within":
                within = window(w)
            elif w.direction == "duration" and w.unit is not TimeUnit.HALF_LIVES:
                min_duration = Window(amount=w.amount, unit=w.unit, reference=w.reference)
            elif w.direction == "at_least":
                extra = f"stopped at least {window(w)}"
        node = MedicationHistory(
            drugs=drug_keys,
            classes=class_keys,
            exclude_routes=exclude_routes,
            within=within,
            min_duration=min_duration,
            min_dose_mg_per_kg_day=dose_kg,
            min_daily_dose_mg=dose_day,
            outcome=outcome,
            **c.common(a, b, cf, merge_notes(note, extra)),
        )
        if negated:
            return Not(item=node, **c.common(a, b, cf, "the exposure must not have happened"))
        return node

    claim = (base + s, base + (exc.end() if exc and exc.end() > e else e))
    return [
        Hit(
            base + s,
            base + e,
            build,
            frozenset({"within", "duration", "at_least", HL}),
            conf,
            claim=claim,
            exc_zone=(base + exc.start(), base + exc.end()) if exc else None,
        )
    ]

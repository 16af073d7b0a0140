"""Prior therapies that are not plain drugs: CAR-T, CD19/BCMA-targeted agents, gene therapy,
live vaccines, procedures of the lexicon, and participation in other trials (asked, not
recorded)."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Criterion,
    ManualReview,
    MedicationHistory,
    Not,
    ProcedureHistory,
    Vaccination,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import HL, Ctx, Hit, window
from cartrial.ingest.parse.recognizers.common import exception_after, vocab_note
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_CART_RX = re.compile(
    r"(?:chimeric\s+antigen\s+receptor\s*(?:\(CAR\)\s*)?(?:T[- ]?cells?|NK|therapy)?|\bCAR[- ]?(?:T|NK)\b"
    r"(?:[- ]cells?)?|\bCART\b)(?:\s+(?:cell\s+)?(?:therapy|therapies|treatment|products?|infusion))?",
    _I,
)
_TARGETED_RX = re.compile(
    r"(?:anti-?\s?)?(?P<t1>CD-?19|BCMA)(?:\s*(?:or|and|/|,)\s*(?:anti-?\s?)?(?P<t2>CD-?19|BCMA))?"
    r"[- ]?(?:targeted|targeting|directed)(?:\s+(?:therapy|therapies|treatment|agents?|drugs?))?"
    r"|anti-?\s?(?P<t3>CD-?19|BCMA)(?:\s*(?:or|and|/|,)\s*(?:anti-?\s?)?(?P<t4>CD-?19|BCMA))?"
    r"(?:\s+(?:monoclonal\s+)?(?:therapy|therapies|treatment|agents?|drugs?|antibod(?:y|ies)))",
    _I,
)
_GENE_RX = re.compile(
    r"gene(?:tically)?\s+(?:therapy|therapies|modified|editing|engineered)(?:\s+(?:cell\s+)?products?)?",
    _I,
)
_VACCINE_RX = re.compile(r"live(?:[- ]attenuated)?\s+(?:virus\s+)?vaccin\w*", _I)
_TRIAL_RX = re.compile(
    r"(?:participat\w*|enrolled|took\s+part|taking\s+part)\s+in\s+(?:any\s+)?(?:an?\s+)?"
    r"(?:other|another)?\s*(?:interventional\s+|(?:drug|device|therapeutic)\s+(?:intervention\s+)?)?"
    r"(?:clinical\s+)?(?:studies|study|trials?|research)"
    r"|(?:received|receiving|used)\s+(?:any\s+)?(?:other\s+)?(?:clinical\s+trial|investigational|experimental)\s+"
    r"(?:treatment|drugs?|products?|agents?|therap\w+)|investigational\s+(?:drugs?|products?|agents?|therapy|treatment)",
    _I,
)
_EXPOSURE_RX = re.compile(
    r"prior|previous\w*|received|receiv\w+|history|treated|exposure|used|undergone|underwent|had",
    _I,
)


def prior_therapy(ctx: Ctx, text: str, base: int) -> list[Hit]:
    hits: list[Hit] = []
    excl = ctx.section == "exclusion"
    mt = _TARGETED_RX.search(text) if ctx.has("cd19", "cd-19", "bcma") else None
    if mt and (excl or _EXPOSURE_RX.search(text[: mt.start()])):
        targets = [
            t.upper().replace("-", "")
            for t in (mt.group("t1"), mt.group("t2"), mt.group("t3"), mt.group("t4"))
            if t
        ]
        classes = tuple(
            dict.fromkeys("cd19_targeted" if t == "CD19" else "bcma_targeted" for t in targets)
        )

        def build_t(
            c: Ctx,
            w: WindowHit | None,
            a: int,
            b: int,
            cf: float,
            classes: tuple[str, ...] = classes,
        ) -> Criterion:
            return MedicationHistory(
                classes=classes,
                within=window(w),
                **c.common(
                    a,
                    b,
                    cf,
                    "drug classes " + ", ".join(classes) + " are not in the shared vocabulary yet",
                ),
            )

        hits.append(
            Hit(base + mt.start(), base + mt.end(), build_t, frozenset({"within", HL}), 0.75)
        )
    cart_hint = ctx.has_word("car", "cart") or ctx.has("chimeric")
    for m in _CART_RX.finditer(text) if cart_hint else ():
        if not excl and not _EXPOSURE_RX.search(text[max(0, m.start() - 50) : m.start()]):
            continue
        if any(h.start <= base + m.start() < h.end for h in hits):
            continue

        def build_c(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return ProcedureHistory(
                concepts=("car_t_therapy",), within=window(w), **c.common(a, b, cf)
            )

        exc = exception_after(text, m.end())
        hit = Hit(base + m.start(), base + m.end(), build_c, frozenset({"within"}), 0.85)
        if exc is not None:
            es, ee = m.end() + exc.start("body"), m.end() + exc.end("body")
            hit = _with_manual_exception(hit, es + base, ee + base, m.end() + exc.end() + base)
        hits.append(hit)
        break
    for m in _GENE_RX.finditer(text) if ctx.has("gene") else ():

        def build_g(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return MedicationHistory(
                classes=("gene_therapy",),
                within=window(w),
                **c.common(a, b, cf, "'gene_therapy' is not in the shared vocabulary yet"),
            )

        hits.append(Hit(base + m.start(), base + m.end(), build_g, frozenset({"within", HL}), 0.75))
    for m in _VACCINE_RX.finditer(text) if ctx.has("vaccin") else ():

        def build_v(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            return Vaccination(live_only=True, within=window(w), **c.common(a, b, cf))

        hits.append(Hit(base + m.start(), base + m.end(), build_v, frozenset({"within"}), 0.9))
    procs = [
        (k, s, e)
        for k, s, e in lx.find_all(lx.PROCEDURES, text, base)
        if not re.search(
            r"\bplann\w*|\bscheduled\b|\bexpected\b|\bawaiting\b", text[max(0, s - 40) : s], _I
        )
    ]
    if procs:
        keys = tuple(dict.fromkeys(k for k, _, _ in procs))
        s = min(p[1] for p in procs)
        e = max(p[2] for p in procs)

        def build_p(
            c: Ctx, w: WindowHit | None, a: int, b: int, cf: float, keys: tuple[str, ...] = keys
        ) -> Criterion:
            return ProcedureHistory(
                concepts=keys, within=window(w), **c.common(a, b, cf, vocab_note(keys[0]))
            )

        hits.append(Hit(base + s, base + e, build_p, frozenset({"within"}), 0.85))
    trial_hint = ctx.has(
        "particip", "enrol", "took part", "taking part", "investigational", "experimental"
    )
    for m in _TRIAL_RX.finditer(text) if trial_hint else ():

        def build_tr(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
            note = "participation in other trials is asked, not recorded"
            if w is not None and w.direction == "at_least":
                note += f"; at least {w.amount:g} {w.unit.value} since it ended"
            elif w is not None and w.direction != "after":
                note += f"; window: {window(w)}"
            return ManualReview(
                data_hint="other clinical trial participation", **c.common(a, b, 1.0, note)
            )

        hits.append(
            Hit(
                base + m.start(),
                base + m.end(),
                build_tr,
                # "within 30 days of screening" and "at least 4 weeks since the last dose of
                # an investigational drug" both date the participation
                frozenset({"within", "at_least", HL}),
                1.0,
                computable=False,
                kind="manual",
            )
        )
        break
    return hits


def _with_manual_exception(hit: Hit, es: int, ee: int, claim_end: int) -> Hit:
    inner = hit.build

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        node = inner(c, w, hit.start, hit.end, cf)
        manual = ManualReview(data_hint="exception", **c.common(es, ee, 1.0))
        if c.section == "exclusion":
            return AllOf(
                items=(node, Not(item=manual, **c.common(es, ee, 1.0))),
                **c.common(a, b, cf * 0.9, "exception read as 'and not'"),
            )
        return AnyOf(items=(node, manual), **c.common(a, b, cf * 0.9))

    return Hit(
        hit.start,
        hit.end,
        build,
        hit.accepts,
        hit.confidence,
        claim=(hit.start, claim_end),
        exc_zone=(es, claim_end),
    )

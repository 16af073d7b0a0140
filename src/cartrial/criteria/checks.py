"""The protocol linter: structural problems (errors) and coverage of the protocol's words.

Errors: unknown concept keys, units that cannot be converted, inverted or impossible windows
and ranges. Counts: criteria, computable vs manual, review provenance. Coverage: every item of
the trial's eligibility text must be carried by some node's ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from cartrial import vocab
from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    AtLeast,
    ConditionHistory,
    Criterion,
    Derived,
    ManualReview,
    Measurement,
    MedicationHistory,
    Not,
    ProcedureHistory,
    Score,
    Serology,
    SexIs,
    Vaccination,
)
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.walk import iter_nodes
from cartrial.domain.errors import CartrialError
from cartrial.domain.timewindow import Window

# Observations whose values are percentages (0-100) by definition.
PERCENT_CONCEPTS = frozenset(
    {"lvef", "spo2", "dlco_pct_pred", "fvc_pct_pred", "cd19_pct", "cd3_pct"}
)


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: str  # error | warning
    criterion: str | None
    message: str


Check = Callable[[Any], Iterator[str]]
CHECKER: Interpreter[Check] = Interpreter("lint")


def _c(cls: type) -> Callable[[Check], Check]:
    return CHECKER.register(cls)


def _known(group: str, key: str) -> bool:
    return key in vocab.concept_keys(group)


def _window(label: str, w: Window | None) -> Iterator[str]:
    if w is not None and w.amount > 100 * 365 and w.unit.value == "days":
        yield f"{label} of {w} is implausibly long"


@_c(AllOf)
@_c(AnyOf)
@_c(AtLeast)
def _composite(n: AllOf | AnyOf | AtLeast) -> Iterator[str]:
    if isinstance(n, (AnyOf, AllOf)) and len(n.items) == 1:
        yield f"{n.kind} with a single item"
    if isinstance(n, AnyOf):
        manual = [
            c.id or c.kind
            for c in n.items
            if any(isinstance(x, ManualReview) for x in iter_nodes(c))
        ]
        computable = [
            c.id or c.kind
            for c in n.items
            if any(
                not isinstance(x, (ManualReview, AllOf, AnyOf, AtLeast, Not)) for x in iter_nodes(c)
            )
        ]
        if manual and computable:
            yield (
                f"any_of mixes computable {', '.join(computable)} with manual "
                f"{', '.join(manual)}: the manual alternative counts only once the "
                "computable part is known to fail (evaluator rule, issue 9)"
            )


@_c(Not)
def _not(n: Not) -> Iterator[str]:
    if isinstance(n.item, Not):
        yield "double negation"


@_c(Age)
def _age(n: Age) -> Iterator[str]:
    for v in (n.min_years, n.max_years):
        if v is not None and v > 120:
            yield f"impossible age bound {v:g}"


@_c(SexIs)
def _sex(n: SexIs) -> Iterator[str]:
    return iter(())


@_c(Measurement)
def _measurement(n: Measurement) -> Iterator[str]:
    if not _known("labs", n.concept):
        yield f"unknown lab/observation concept {n.concept!r}"
        return
    if n.value is not None and n.unit is not None:
        try:
            value, unit = vocab.convert(n.concept, n.value, n.unit)
        except CartrialError as exc:
            yield f"threshold unit: {exc}"
            return
        if value < 0:
            yield f"negative threshold {n.value:g} {n.unit}"
        if n.concept in PERCENT_CONCEPTS and value > 100:
            yield f"{n.concept} threshold {value:g}% is impossible"
    if n.uln_multiple is not None and n.uln_multiple > 100:
        yield f"ULN multiple {n.uln_multiple:g} is implausible"
    yield from _window("look-back", n.lookback)


@_c(Derived)
def _derived(n: Derived) -> Iterator[str]:
    expected = "mL/min" if n.calculator == "crcl_cockcroft_gault" else "mL/min/{1.73_m2}"
    # the threshold is compared with the calculator's output as is: the same unit, in any spelling
    # the one unit converter reads (mL/min/1.73m2 = mL/min/{1.73_m2})
    if vocab.exact_factor(n.unit, expected) != 1.0:
        yield f"{n.calculator} is in {expected}, not {n.unit}"
    if n.value < 0:
        yield "negative threshold"


@_c(Score)
def _score(n: Score) -> Iterator[str]:
    if not _known("labs", n.instrument):
        yield f"unknown score instrument {n.instrument!r}"
    maxima = {
        "sledai_2k": 105,
        "selena_sledai": 105,
        "mrss": 51,
        "essdai": 123,
        "mmt8": 150,
        "sle_eular_acr_2019": 51,
    }
    top = maxima.get(n.instrument)
    if top is not None and not 0 <= n.value <= top:
        yield f"{n.instrument} threshold {n.value:g} outside 0..{top}"


@_c(Serology)
def _serology(n: Serology) -> Iterator[str]:
    for key in (n.concept, *n.also):
        if not _known("labs", key):
            yield f"unknown test concept {key!r}"


@_c(ConditionHistory)
def _condition(n: ConditionHistory) -> Iterator[str]:
    for key in n.concepts:
        if not _known("conditions", key):
            yield f"unknown condition concept {key!r}"
    if n.onset_within and n.onset_at_least:
        as_of = date(2000, 1, 1)
        if n.onset_at_least.start(as_of) < n.onset_within.start(as_of):
            yield "inverted window: onset must be at least longer ago than the 'within' allows"


@_c(MedicationHistory)
def _medication(n: MedicationHistory) -> Iterator[str]:
    for key in n.drugs:
        if not _known("medications", key):
            yield f"unknown drug concept {key!r}"
    for cls in n.classes:
        try:
            members = vocab.drugs_in_class(cls)
        except KeyError:
            members = frozenset()
        if not members:
            yield f"unknown or empty drug class {cls!r}"
    if (
        n.min_distinct > 1
        and n.distinct_by == "agent"
        and n.drugs
        and not n.classes
        and n.min_distinct > len(n.drugs)
    ):
        yield f"needs {n.min_distinct} distinct agents but lists only {len(n.drugs)}"
    if n.min_dose_mg_per_kg_day is not None and n.min_dose_mg_per_kg_day > 30:
        yield "implausible mg/kg/day dose"


@_c(Vaccination)
def _vaccine(n: Vaccination) -> Iterator[str]:
    for key in n.concepts:
        if not _known("vaccines", key):
            yield f"unknown vaccine concept {key!r}"


@_c(ProcedureHistory)
def _procedure(n: ProcedureHistory) -> Iterator[str]:
    for key in n.concepts:
        if not _known("procedures", key):
            yield f"unknown procedure concept {key!r}"


@_c(ManualReview)
def _manual(n: ManualReview) -> Iterator[str]:
    if not n.text.strip():
        yield "manual review without the protocol's words"


class LintReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    trial: str
    criteria: int
    top_level: int
    computable: int
    manual: int
    review: dict[str, int]
    findings: tuple[Finding, ...]
    uncovered: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)


def lint(protocol: Protocol) -> LintReport:
    findings: list[Finding] = []
    atoms = computable = manual = 0
    review = {"manual": 0, "auto": 0, "reviewed": 0, "unset": 0}
    top = 0
    for _section, items in protocol.sections():
        for item in items:
            top += 1
            for node in iter_nodes(item):
                for message in CHECKER.handler(type(node))(node):
                    severity = (
                        "warning"
                        if "single item" in message
                        or "double" in message
                        or "mixes computable" in message
                        else "error"
                    )
                    findings.append(Finding(severity=severity, criterion=node.id, message=message))
                if isinstance(node, (AllOf, AnyOf, AtLeast, Not)):
                    continue
                atoms += 1
                if isinstance(node, ManualReview):
                    manual += 1
                else:
                    computable += 1
                review[node.review.value if node.review else "unset"] += 1
    uncovered = tuple(coverage_gaps(protocol))
    for gap in uncovered:
        findings.append(
            Finding(
                severity="error",
                criterion=None,
                message=f"eligibility text not carried by any criterion: {gap[:80]!r}",
            )
        )
    return LintReport(
        trial=protocol.nct_id,
        criteria=atoms,
        top_level=top,
        computable=computable,
        manual=manual,
        review=review,
        findings=tuple(findings),
        uncovered=uncovered,
    )


_WORD = re.compile(r"[a-z0-9]+")
_HEADER = re.compile(r"^(inclusion|exclusion)\s+criteria\b.*:?$", re.I)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def coverage_gaps(protocol: Protocol) -> list[str]:
    """Lines of the eligibility text whose words are mostly absent from every node's text."""
    text = protocol.trial.eligibility_text
    if not text:
        return []
    node_words: set[str] = set()
    for _s, items in protocol.sections():
        for item in items:
            for node in iter_nodes(item):
                node_words |= _words(node.text)
    gaps = []
    for raw in re.split(r"\n+|(?<=[;.])\s+(?=\(?\d+[.)]\s)", text):
        line = raw.strip()
        words = _words(line)
        if len(words) < 3 or _HEADER.match(line):
            continue
        share = len(words & node_words) / len(words)
        if share < 0.6:
            gaps.append(line)
    return gaps


def check_handlers_complete(node_types: tuple[type, ...]) -> list[str]:
    return [t.__name__ for t in node_types if t not in CHECKER.handled()]


def all_checks(node: Criterion) -> list[str]:
    return [m for n in iter_nodes(node) for m in CHECKER.handler(type(n))(n)]

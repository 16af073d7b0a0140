"""The criteria-tree interpreter behind the summaries' "You also need …" sentences.

One handler per node class (the project's one interpreter mechanism): a node returns the
requirement a patient can check for themselves — a disease score threshold, a positive
autoantibody, earlier treatments that failed — with the number as a :class:`Fact` pointing at
the criterion's own sentence, or None. Ages, sexes, diseases, lab safety limits, vaccines,
procedures, negated branches, alternatives and judgment items are not turned into requirements
(ages and diseases have their own sentence; the rest is for the study team to check).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cartrial.criteria.interpret import Interpreter
from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    AtLeast,
    Comparator,
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

__all__ = ["PLAIN", "Fact", "Requirement", "requirement"]


@dataclass(frozen=True)
class Fact:
    """A number (or a named criterion) with the sentence it came from and where that is."""

    text: str
    source: str
    anchor: str


@dataclass(frozen=True)
class Requirement:
    parts: tuple[str | Fact, ...]
    name: str
    """The named criterion (score, antibody), lower case; empty when none."""


Handler = Callable[..., Requirement | None]
PLAIN: Interpreter[Handler] = Interpreter("plain requirement")

INSTRUMENT_NAMES: dict[str, str] = {
    "sledai_2k": "SLEDAI-2K",
    "sledai": "SLEDAI",
    "mrss": "skin score (mRSS)",
    "das28": "DAS28",
    "essdai": "ESSDAI",
    "mmt8": "muscle test (MMT-8)",
    "bvas": "BVAS",
    "qmg": "QMG",
    "mg_adl": "MG-ADL",
    "edss": "EDSS",
}
_CMP_WORDS = {
    Comparator.GE: "{v} or more",
    Comparator.GT: "more than {v}",
    Comparator.LE: "{v} or less",
    Comparator.LT: "less than {v}",
    Comparator.EQ: "{v}",
}
_INFECTIONS = re.compile(r"hiv|hbv|hbs|hbc|hcv|hepatitis|syphilis|tubercul|tb_|igra|covid|cmv|ebv")


def _num(v: float) -> str:
    return f"{v:g}"


def _source(node: Criterion, top: Criterion) -> tuple[str, str]:
    return (node.text or top.text or ""), f"#crit-{node.id or top.id}"


def _instrument(key: str) -> str:
    if key in INSTRUMENT_NAMES:
        return INSTRUMENT_NAMES[key]
    if "eular" in key and "acr" in key:
        return "EULAR/ACR classification"
    return key.replace("_", " ").upper()


def _antibody(concept: str) -> str:
    name = re.sub(r"_(presence|titer|titre|positive|level)$", "", concept)
    name = name.replace("anti_", "anti-").replace("_", " ")
    return name.upper() if len(name) <= 5 else name


def requirement(node: Criterion, top: Criterion | None = None) -> Requirement | None:
    """The first patient-checkable requirement in ``node`` (``top``: its top-level criterion)."""
    result: Requirement | None = PLAIN(node, top if top is not None else node)
    return result


@PLAIN.register(AllOf)
def _all_of(node: AllOf, top: Criterion) -> Requirement | None:
    for item in node.items:
        found = requirement(item, top)
        if found is not None:
            return found
    return None


@PLAIN.register(AnyOf, AtLeast, Not)
def _alternatives(node: Criterion, top: Criterion) -> Requirement | None:
    return None  # one of several, or a negation: no single requirement to state


@PLAIN.register(
    Age,
    SexIs,
    Measurement,
    Derived,
    ConditionHistory,
    Vaccination,
    ProcedureHistory,
    ManualReview,
)
def _not_stated(node: Criterion, top: Criterion) -> Requirement | None:
    return None


@PLAIN.register(Score)
def _score(node: Score, top: Criterion) -> Requirement | None:
    src, anchor = _source(node, top)
    name = _instrument(node.instrument)
    before, after = _CMP_WORDS.get(node.comparator, "{v}").split("{v}")
    return Requirement(
        (
            f"a score of {before}",
            Fact(_num(node.value), src, anchor),
            f"{after} on the {name} scale",
        ),
        name.casefold(),
    )


@PLAIN.register(Serology)
def _serology(node: Serology, top: Criterion) -> Requirement | None:
    if node.result != "positive" or _INFECTIONS.search(node.concept):
        return None
    name = _antibody(node.concept)
    return Requirement((f"a positive blood test for {name}",), name.casefold())


@PLAIN.register(MedicationHistory)
def _medication(node: MedicationHistory, top: Criterion) -> Requirement | None:
    if node.outcome == "any":
        return None
    if node.min_distinct > 1:
        src, anchor = _source(node, top)
        return Requirement(
            (
                "at least ",
                Fact(str(node.min_distinct), src, anchor),
                " earlier medicines that did not help enough",
            ),
            "",
        )
    return Requirement(("an earlier medicine that did not help enough",), "")

"""Hypothesis strategies and properties for fuzzing FHIR import and eligibility-text parsing.

Shared by the always-on tests (``test_fuzz.py``, 1,000 cases each) and the full run
(``bench/fuzz_bench.py``, 10,000 cases each). The property is the same: hostile input ends in
a clear refusal (``BadInput`` naming the problem) or a result — never any other exception.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.ingest.parse import parse_eligibility
from cartrial.web.bodies import BadInput, bundle_to_patient, parse_bundle_json
from tests.web.helpers import sle_bundle

# ------------------------------------------------------------------ JSON and FHIR-ish values

LONE_SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udbff"])
NUMBERS = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(float),
)
FHIR_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "2026-13-45",
        "2026-02-30",
        "0000-01-01",
        "9999-12-31T25:61:00Z",
        "2026",
        "2026-11",
        "1985-04-02T10:00:00+14:00",
        "mg/dL",
        "10*9/L",
        "umol/L",
        "{score}",
        "not-a-unit",
        "http://loinc.org",
        "http://snomed.info/sct",
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "2160-0",
        "urn:uuid:x",
        "Patient/web-sle-1",
        "Patient/",
        "female",
        "unknown",
        "final",
        "entered-in-error",
        "active",
        "resolved",
        "<",
        ">=",
        "NaN",
        "1e308",
        "\x00",
        "💥",
    ]
)
LEAVES = st.one_of(
    st.none(), st.booleans(), NUMBERS, st.text(max_size=20), FHIR_STRINGS, LONE_SURROGATES
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), FHIR_STRINGS), inner, max_size=4),
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*prefix, i)))
    return out


BASE = sle_bundle("fuzz")
BASE_PATHS = _paths(BASE)[1:]


def _mutate(bundle: dict[str, Any], path: tuple[Any, ...], op: str, value: Any) -> None:
    parent: Any = bundle
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(int(last), copy.deepcopy(parent[last]))
    else:
        parent[last] = value


@st.composite
def mutated_bundles(draw: st.DrawFn) -> bytes:
    """A valid bundle with 1-4 random edits (replace, delete, duplicate) anywhere in it."""
    bundle = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(bundle)[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        _mutate(bundle, path, op, draw(JSON_VALUES))
    try:
        return json.dumps(bundle, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    except (ValueError, UnicodeEncodeError):
        return json.dumps(bundle).encode()


RAW_BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=5000).map(lambda n: b'{"a": ' + b"9" * n + b"}"),
)


def import_bundle(raw: bytes) -> str:
    """What the API does with a posted bundle: ``"ok"``, ``"refused"`` or an exception."""
    try:
        bundle_to_patient(parse_bundle_json(raw))
    except BadInput as exc:
        assert exc.message and exc.status_code in (400, 413, 415, 422)
        exc.message.encode("utf-8")  # the message can be sent whatever the input held
        return "refused"
    return "ok"


# ------------------------------------------------------------------ eligibility text

WORDS = st.sampled_from(
    [
        "Inclusion Criteria:",
        "Exclusion Criteria:",
        "Key inclusion criteria",
        "-",
        "*",
        "1.",
        "a)",
        "age",
        "≥",
        ">=",
        "<",
        "18",
        "75",
        "years",
        "eGFR",
        "ml/min/1.73m2",
        "creatinine",
        "> 1.5 x ULN",
        "within",
        "6 months",
        "prior",
        "rituximab",
        "SLE",
        "SLEDAI-2K",
        "≥ 8",
        "not",
        "and/or",
        "(",
        ")",
        "\n",
        "\n\n",
        "\t",
        "hemoglobin < 8 g/dL",
        "platelets ≥ 50 x 10^9/L",
        "pregnant",
        "Cohort A:",
        "days",
        "weeks",
        "%",
        "–",
        "—",
        "0",
        "1e9",
        "99999999999999999999",
    ]
)
ELIGIBILITY_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=80).map(" ".join),
    st.lists(WORDS, min_size=1, max_size=60).map(lambda ws: "\n".join(ws)),
)


def parse_text(text: str) -> int:
    """Parse eligibility text; returns the number of criteria (must never raise)."""
    return len(parse_eligibility(text).criteria)


# ------------------------------------------------------------------ runners


def run_fhir(max_examples: int, *, derandomize: bool = True) -> dict[str, int]:
    counts = {"ok": 0, "refused": 0}

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(mutated_bundles(), RAW_BODIES))
    def prop(raw: bytes) -> None:
        counts[import_bundle(raw)] += 1

    prop()
    return counts


def run_text(max_examples: int, *, derandomize: bool = True) -> dict[str, int]:
    counts = {"cases": 0, "criteria": 0}

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(ELIGIBILITY_TEXT)
    def prop(text: str) -> None:
        counts["cases"] += 1
        counts["criteria"] += parse_text(text)

    prop()
    return counts

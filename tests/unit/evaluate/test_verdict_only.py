"""The verdict-only path gives the verdict of the full screening, for trees and demo patients."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.criteria.serde import parse_criterion, parse_protocol
from cartrial.evaluate import Context, Verdict, evaluate_node, screen, verdict_only
from cartrial.ingest.fhir import load_bundle_file
from cartrial.resources import examples_dir
from cartrial.services.bundled_protocols import load_protocols
from tests.support.patients import AS_OF, patient

# leaves whose status is known for the test patient (born 1980, no labs)
LEAVES: list[dict[str, Any]] = [
    {"kind": "age", "min_years": 18},  # TRUE
    {"kind": "age", "min_years": 100},  # FALSE
    {"kind": "measurement", "concept": "alt", "comparator": "<=", "uln_multiple": 3},  # UNKNOWN
    {"kind": "manual", "text": "investigator's judgment"},  # the favourable value, assumed
]


def trees() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(LEAVES).map(dict)

    def extend(kids: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        lists = st.lists(kids, min_size=1, max_size=4)
        return st.one_of(
            lists.map(lambda ks: {"kind": "all_of", "items": ks}),
            lists.map(lambda ks: {"kind": "any_of", "items": ks}),
            kids.map(lambda k: {"kind": "not", "item": k}),
            lists.flatmap(
                lambda ks: st.integers(1, len(ks)).map(
                    lambda n: {"kind": "at_least", "n": n, "items": ks}
                )
            ),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(trees(), st.booleans())
def test_lean_status_equals_full_status(tree: dict[str, Any], favourable: bool) -> None:
    node = parse_criterion(tree)
    ctx = Context(patient=patient(), as_of=AS_OF, favourable=favourable)
    full = evaluate_node(node, ctx)
    lean = evaluate_node(node, replace(ctx, lean=True))
    assert (lean.status, lean.assumed) == (full.status, full.assumed)


@settings(max_examples=150, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=3), st.lists(trees(), max_size=3))
def test_verdict_only_equals_screen_verdict(
    inclusion: list[dict[str, Any]], exclusion: list[dict[str, Any]]
) -> None:
    protocol = parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000003", "title": "T"},
            "criteria": {"inclusion": inclusion, "exclusion": exclusion},
        }
    )
    p = patient()
    assert verdict_only(protocol, p, as_of=AS_OF) is screen(protocol, p, as_of=AS_OF).verdict


@pytest.mark.parametrize("as_of", [date(2026, 11, 22), date(2025, 3, 1), date(2027, 6, 30)])
def test_demo_patients_get_the_same_verdict(as_of: date) -> None:
    protocols = list(load_protocols().values())
    bundles = sorted((examples_dir() / "patients").glob("*.json"))
    assert bundles and protocols
    seen: set[Verdict] = set()
    for bundle in bundles:
        p = load_bundle_file(bundle)
        for protocol in protocols:
            full = screen(protocol, p, as_of=as_of).verdict
            assert verdict_only(protocol, p, as_of=as_of) is full, (bundle.name, protocol.nct_id)
            seen.add(full)
    assert len(seen) >= 2  # the demo set is not all one verdict

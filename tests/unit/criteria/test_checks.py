"""The protocol linter finds structural problems; every node type has a linter and renderer."""

from __future__ import annotations

from cartrial.criteria.checks import CHECKER, all_checks, coverage_gaps, lint
from cartrial.criteria.nodes import NODE_TYPES
from cartrial.criteria.render import RENDERER, render_tree
from cartrial.criteria.serde import parse_criterion, parse_protocol


def test_every_node_type_has_a_check_and_a_renderer() -> None:
    assert [t.__name__ for t in NODE_TYPES if t not in CHECKER.handled()] == []
    assert [t.__name__ for t in NODE_TYPES if t not in RENDERER.handled()] == []


def problems(node: dict) -> list[str]:
    return all_checks(parse_criterion(node))


def test_unknown_concepts_reported() -> None:
    assert any(
        "unknown lab" in m
        for m in problems(
            {"kind": "measurement", "concept": "unobtainium", "comparator": "<", "uln_multiple": 2}
        )
    )
    assert any(
        "unknown condition" in m
        for m in problems({"kind": "condition", "concepts": ["made_up_disease"]})
    )
    assert any(
        "unknown drug" in m for m in problems({"kind": "medication", "drugs": ["snake_oil"]})
    )
    assert any(
        "drug class" in m for m in problems({"kind": "medication", "classes": ["not_a_class"]})
    )
    assert problems({"kind": "condition", "concepts": ["sle"]}) == []


def test_units_and_impossible_values_reported() -> None:
    assert any(
        "unit" in m
        for m in problems(
            {
                "kind": "measurement",
                "concept": "hemoglobin",
                "comparator": ">=",
                "value": 85,
                "unit": "furlongs",
            }
        )
    )
    assert any(
        "impossible" in m
        for m in problems(
            {
                "kind": "measurement",
                "concept": "lvef",
                "comparator": ">=",
                "value": 150,
                "unit": "%",
            }
        )
    )
    assert any(
        "outside" in m
        for m in problems({"kind": "score", "instrument": "mrss", "comparator": ">=", "value": 60})
    )
    assert any("impossible age" in m for m in problems({"kind": "age", "min_years": 150}))


def test_inverted_onset_window_reported() -> None:
    msgs = problems(
        {
            "kind": "condition",
            "concepts": ["sle"],
            "onset_within": {"amount": 3, "unit": "months"},
            "onset_at_least": {"amount": 6, "unit": "months"},
        }
    )
    assert any("inverted" in m for m in msgs)


def test_lint_counts_and_coverage() -> None:
    protocol = parse_protocol(
        {
            "schema_version": 1,
            "trial": {
                "nct_id": "NCT00000003",
                "title": "T",
                "eligibility_text": "Inclusion Criteria:\n1. Age between 18 and 65 years\n"
                "2. Hemoglobin at least 85 g/L at screening\n"
                "3. Completely unrelated sentence about parking spaces",
            },
            "criteria": {
                "inclusion": [
                    {
                        "kind": "age",
                        "min_years": 18,
                        "max_years": 65,
                        "text": "Age between 18 and 65 years",
                    },
                    {
                        "kind": "measurement",
                        "concept": "hemoglobin",
                        "comparator": ">=",
                        "value": 85,
                        "unit": "g/L",
                        "text": "Hemoglobin at least 85 g/L at screening",
                    },
                    {"kind": "manual", "text": "Informed consent"},
                ],
                "exclusion": [],
            },
        }
    )
    report = lint(protocol)
    assert (report.criteria, report.computable, report.manual) == (3, 2, 1)
    assert len(report.uncovered) == 1 and "parking" in report.uncovered[0]
    assert report.errors == 1
    assert coverage_gaps(protocol) == list(report.uncovered)
    assert render_tree(protocol.criteria.inclusion[0])[0].startswith("[inc-1] age")

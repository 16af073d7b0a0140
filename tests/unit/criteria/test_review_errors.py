"""Correctness review: load errors name the criterion (by the id it gets) and the real field;
the linter checks every concept a node names."""

from __future__ import annotations

from typing import Any

import pytest

from cartrial.criteria.checks import all_checks
from cartrial.criteria.serde import ProtocolError, parse_criterion, parse_protocol


def error(inclusion: list[dict[str, Any]]) -> str:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(
            {
                "schema_version": 1,
                "trial": {"nct_id": "NCT00000002", "title": "T"},
                "criteria": {"inclusion": inclusion, "exclusion": []},
            },
            where="trials/NCT00000002.yaml",
        )
    return str(exc.value)


def test_criterion_without_an_id_is_named_by_the_id_it_would_get() -> None:
    # ids are assigned after validation (inc-N, then dotted for children), so an error in the
    # second inclusion item, written without an id, is in criterion inc-2 ...
    msg = error([{"kind": "age", "min_years": 18}, {"kind": "age"}])
    assert "trials/NCT00000002.yaml" in msg
    assert "criterion inc-2:" in msg
    assert "age needs min_years or max_years" in msg
    # ... and a bad comparator in the second child of inc-1 is in inc-1.2, field 'comparator'
    msg = error(
        [
            {
                "id": "inc-1",
                "kind": "all_of",
                "items": [
                    {"kind": "age", "min_years": 18},
                    {
                        "kind": "measurement",
                        "concept": "alt",
                        "comparator": "<<",
                        "uln_multiple": 3,
                    },
                ],
            }
        ]
    )
    assert "criterion inc-1.2: field 'comparator'" in msg


def test_node_level_error_does_not_name_a_list_index_as_the_field() -> None:
    # a rule on the whole node (exactly one threshold) has no single field; "field '[0]'" (the
    # node's position in the list) names nothing the author wrote
    msg = error(
        [
            {
                "id": "inc-hb",
                "kind": "measurement",
                "concept": "hemoglobin",
                "comparator": ">=",
                "value": 85,
                "unit": "g/L",
                "uln_multiple": 2,
            }
        ]
    )
    assert "criterion inc-hb:" in msg
    assert "[0]" not in msg
    assert "give exactly one of value, uln_multiple, lln_multiple" in msg


def test_error_in_a_list_field_names_the_field_and_the_position() -> None:
    msg = error([{"id": "inc-sex", "kind": "sex", "allowed": ["woman"]}])
    assert "criterion inc-sex: field 'allowed[0]'" in msg


def test_error_outside_the_criteria_names_the_path() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(
            {
                "schema_version": 1,
                "trial": {"nct_id": "NCT00000002", "title": "T"},
                "screening_window_days": 0,
                "criteria": {"inclusion": [], "exclusion": []},
            }
        )
    assert "field 'screening_window_days'" in str(exc.value)


def test_parse_criterion_names_its_own_id() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_criterion(
            {
                "id": "x",
                "kind": "measurement",
                "concept": "hemoglobin",
                "comparator": ">=",
                "value": 85,
            }
        )
    assert "criterion x:" in str(exc.value)
    assert "unit" in str(exc.value)


def test_linter_checks_the_other_tests_a_serology_names() -> None:
    # serology.also lists further tests of the same thing; an unknown key there never matches
    # any Observation, so the criterion would silently read only the first test
    msgs = all_checks(
        parse_criterion(
            {
                "kind": "serology",
                "concept": "hcg_serum_qual",
                "also": ["hcg_urine_qualitative"],
                "result": "positive",
            }
        )
    )
    assert any("hcg_urine_qualitative" in m for m in msgs)
    assert (
        all_checks(
            parse_criterion(
                {
                    "kind": "serology",
                    "concept": "hcg_serum_qual",
                    "also": ["hcg_urine_qual"],
                    "result": "positive",
                }
            )
        )
        == []
    )

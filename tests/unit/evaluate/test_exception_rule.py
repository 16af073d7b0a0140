"""The evaluator rule of issue 9 at node level, and the lint rule that flags the shape."""

from __future__ import annotations

from datetime import timedelta

from cartrial.criteria.checks import lint
from cartrial.criteria.serde import parse_criterion, parse_protocol
from cartrial.evaluate import Context, Truth, evaluate_node
from tests.support.patients import AS_OF, obs, patient

HB = {
    "id": "hb",
    "kind": "measurement",
    "concept": "hemoglobin",
    "comparator": ">=",
    "value": 10,
    "unit": "g/dL",
    "text": "Hb >= 10 g/dL",
}
EXCEPT = {"id": "except", "kind": "manual", "text": "except when caused by the disease"}
LOW = obs("hemoglobin", 8.0, "g/dL", AS_OF - timedelta(days=3))
HIGH = obs("hemoglobin", 12.0, "g/dL", AS_OF - timedelta(days=3))


def _eval(node: dict, favourable: bool = True, **kw: object):  # type: ignore[no-untyped-def]
    ctx = Context(patient=patient(**kw), as_of=AS_OF, favourable=favourable)
    return evaluate_node(parse_criterion(node), ctx)


def test_any_of_exception_does_not_rescue_an_unknown() -> None:
    res = _eval({"id": "x", "kind": "any_of", "items": [HB, EXCEPT]})
    assert res.status is Truth.UNKNOWN
    assert res.blocked == ("hb",)
    assert "known to fail" in res.reason


def test_any_of_exception_rescues_a_known_failure_as_an_assumption() -> None:
    res = _eval({"id": "x", "kind": "any_of", "items": [HB, EXCEPT]}, observations=[LOW])
    assert res.status is Truth.TRUE and res.assumed and res.blocked == ()


def test_data_alone_decide_without_assumption() -> None:
    res = _eval({"id": "x", "kind": "any_of", "items": [HB, EXCEPT]}, observations=[HIGH])
    assert res.status is Truth.TRUE and not res.assumed


def test_exclusion_manual_part_cannot_clear_an_unknown_lab() -> None:
    """Exclusion all_of(Hb >= 10, manual): the manual part assumed FALSE must not clear it while
    the lab is unknown (the mirror image of the inclusion case)."""
    res = _eval({"id": "x", "kind": "all_of", "items": [HB, EXCEPT]}, favourable=False)
    assert res.status is Truth.UNKNOWN and res.blocked == ("hb",)
    known = _eval(
        {"id": "x", "kind": "all_of", "items": [HB, EXCEPT]}, favourable=False, observations=[HIGH]
    )
    assert known.status is Truth.FALSE and known.assumed


def test_nested_exception_counts_as_assumed() -> None:
    """any_of(Hb, all_of(female, manual)): the inner branch holds only by assumption."""
    inner = {
        "id": "in",
        "kind": "all_of",
        "items": [{"id": "f", "kind": "sex", "allowed": ["female"]}, EXCEPT],
    }
    res = _eval({"id": "x", "kind": "any_of", "items": [HB, inner]}, sex="female")
    assert res.status is Truth.UNKNOWN
    res = _eval(
        {"id": "x", "kind": "any_of", "items": [HB, inner]}, sex="female", observations=[LOW]
    )
    assert res.status is Truth.TRUE and res.assumed


def test_at_least_follows_the_same_rule() -> None:
    two = {
        "id": "x",
        "kind": "at_least",
        "n": 2,
        "items": [HB, {"id": "f", "kind": "sex", "allowed": ["female"]}, EXCEPT],
    }
    assert _eval(two, sex="female").status is Truth.UNKNOWN
    assert _eval(two, sex="female", observations=[LOW]).status is Truth.TRUE


def test_lint_flags_any_of_mixing_computable_and_manual() -> None:
    proto = parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000009", "title": "T"},
            "criteria": {
                "inclusion": [
                    {
                        "id": "mixed",
                        "kind": "any_of",
                        "text": "Hb or exception",
                        "items": [HB, EXCEPT],
                    },
                    {
                        "id": "pure",
                        "kind": "any_of",
                        "text": "Hb or female",
                        "items": [
                            {**HB, "id": "hb2"},
                            {"id": "f", "kind": "sex", "allowed": ["female"]},
                        ],
                    },
                ],
                "exclusion": [],
            },
        }
    )
    found = [f for f in lint(proto).findings if "mixes computable" in f.message]
    assert [f.criterion for f in found] == ["mixed"]
    assert found[0].severity == "warning"


def test_lint_flags_the_two_exceptions_of_issue_9_in_the_bundled_protocols() -> None:
    from cartrial.services.bundled_protocols import get_protocol

    for nct, cid in (("NCT07193667", "inc-2.renal"), ("NCT06464679", "inc-2.2")):
        report = lint(get_protocol(nct))
        flagged = {f.criterion for f in report.findings if "mixes computable" in f.message}
        assert cid in flagged
        assert report.errors == 0

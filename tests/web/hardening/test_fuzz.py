"""Hypothesis fuzz of FHIR import and eligibility-text parsing: 0 unexpected exceptions.

1,000 cases each here (every ``make test``); ``bench/fuzz_bench.py`` runs 10,000 each and
prints the figures.
"""

from __future__ import annotations

from tests.web.hardening.fuzzing import run_fhir, run_text

CASES = 1_000


def test_fhir_import_refuses_hostile_bundles_cleanly() -> None:
    counts = run_fhir(CASES)
    # both outcomes occur: the fuzzer reaches past the JSON layer into FHIR validation
    assert counts["refused"] > 0 and counts["ok"] > 0, counts
    assert sum(counts.values()) >= CASES


def test_eligibility_parsing_never_raises() -> None:
    counts = run_text(CASES)
    assert counts["cases"] >= CASES and counts["criteria"] > 0, counts

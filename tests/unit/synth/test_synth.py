"""The synthetic OMOP generator: reproducible, complete tables, the promised variety."""

from __future__ import annotations

import pyarrow as pa

from cartrial.synth.omop import BOGUS_UNIT, generate, synth_vocabulary


def _all(persons: int, seed: int) -> dict[str, pa.Table]:
    chunks = list(generate(persons, seed, chunk=700))
    return {name: pa.concat_tables([c[name] for c in chunks if name in c]) for name in chunks[0]}


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = _all(1500, 3), _all(1500, 3), _all(1500, 4)
    assert a["measurement"].equals(b["measurement"])
    assert not a["measurement"].equals(c["measurement"])


def test_tables_ids_and_variety() -> None:
    t = _all(2000, 1)
    assert t["person"].num_rows == 2000
    for name in ("measurement", "observation", "condition_occurrence", "drug_exposure"):
        ids = (
            t[name]
            .column(f"{name}_id" if name != "condition_occurrence" else "condition_occurrence_id")
            .to_pylist()
        )
        assert len(ids) == len(set(ids)) > 0
    units = set(t["measurement"].column("unit_concept_id").to_pylist())
    v = synth_vocabulary()
    assert v.unit[BOGUS_UNIT] in units and v.unit["g/L"] in units  # alternative and unknown
    ops = set(t["measurement"].column("operator_concept_id").to_pylist())
    assert {4171756, 4172704} <= ops
    reasons = set(t["drug_exposure"].column("stop_reason").to_pylist())
    assert "lack of efficacy" in reasons and None in reasons
    sle = v.primary[("conditions", "sle")]
    persons_sle = {
        p
        for p, c in zip(
            t["condition_occurrence"].column("person_id").to_pylist(),
            t["condition_occurrence"].column("condition_concept_id").to_pylist(),
            strict=True,
        )
        if c == sle
    }
    assert 0.05 * 2000 < len(persons_sle) < 0.2 * 2000

"""Unit conversion to the canonical unit: vocab factors, pint, spellings, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial import vocab
from cartrial.domain import DataError, UnknownUnitError
from cartrial.vocab.units import normalize_unit


@pytest.mark.parametrize(
    ("key", "value", "unit", "expected", "canonical"),
    [
        ("creatinine", 88.4, "umol/L", 1.0, "mg/dL"),
        ("creatinine", 88.4, "µmol/L", 1.0, "mg/dL"),
        ("creatinine", 88.4, "umol/l", 1.0, "mg/dL"),
        ("creatinine", 10.0, "mg/L", 1.0, "mg/dL"),  # pint, dimensional
        ("creatinine", 1.2, "mg/dl", 1.2, "mg/dL"),
        ("hemoglobin", 125.0, "g/L", 12.5, "g/dL"),
        ("hemoglobin", 125.0, "g/l", 12.5, "g/dL"),
        ("wbc", 5400.0, "/uL", 5.4, "10*9/L"),
        ("wbc", 5400.0, "cells/µL", 5.4, "10*9/L"),
        ("platelets", 150.0, "×10^9/L", 150.0, "10*9/L"),
        ("platelets", 150.0, "x10^9/L", 150.0, "10*9/L"),
        ("platelets", 150.0, "10^9/L", 150.0, "10*9/L"),
        ("platelets", 150.0, "10⁹/L", 150.0, "10*9/L"),
        ("platelets", 150.0, "10*3/uL", 150.0, "10*9/L"),
        ("alc", 0.8, "K/uL", 0.8, "10*9/L"),
        ("bilirubin_total", 17.1, "umol/L", 1.0, "mg/dL"),
        ("alt", 40.0, "IU/L", 40.0, "U/L"),
        ("alt", 1.0, "ukat/L", 60.0, "U/L"),
        ("crp", 1.0, "mg/dL", 10.0, "mg/L"),
        ("cd19_abs", 0.01, "10*9/L", 10.0, "/uL"),
        ("body_temperature", 98.6, "[degF]", 37.0, "Cel"),
        ("body_temperature", 37.2, "°C", 37.2, "Cel"),
        ("body_weight", 154.0, "[lb_av]", 69.853, "kg"),
        ("qtc", 0.44, "s", 440.0, "ms"),
        ("systolic_bp", 120.0, "mmHg", 120.0, "mm[Hg]"),
        ("egfr_ckd_epi_2021", 75.0, "mL/min/1.73m2", 75.0, "mL/min/{1.73_m2}"),
        ("esr", 12.0, "mm/hr", 12.0, "mm/h"),
        ("sledai_2k", 6.0, "", 6.0, "{score}"),
        ("hcg_serum_quant", 5.0, "IU/L", 5.0, "m[IU]/mL"),
        ("heart_rate", 70.0, "{beats}/min", 70.0, "/min"),
    ],
)
def test_convert(key: str, value: float, unit: str, expected: float, canonical: str) -> None:
    got, got_unit = vocab.convert(key, value, unit)
    assert got_unit == canonical
    assert got == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("creatinine", "furlongs"),
        ("creatinine", "U/L"),  # incompatible dimension
        ("hemoglobin", "mol/L"),  # no molar mass: only the vocab factor for mmol/L
        ("creatinine", ""),  # a missing unit is not guessed
        ("sledai_2k", "{titer}"),  # different annotation
        ("hbsag", "{s_co_ratio}"),  # qualitative concept: no canonical unit
    ],
)
def test_unknown_unit_raises(key: str, unit: str) -> None:
    with pytest.raises(UnknownUnitError) as err:
        vocab.convert(key, 1.0, unit)
    assert key in str(err.value)
    assert isinstance(err.value, DataError)


def test_unknown_concept_raises_keyerror() -> None:
    with pytest.raises(KeyError):
        vocab.convert("nope", 1.0, "mg/dL")


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("×10^9/L", "10*9/L"),
        ("10⁹/L", "10*9/L"),
        ("µmol/L", "umol/L"),
        ("mg/dl", "mg/dL"),
        ("mIU/mL", "m[IU]/mL"),
        ("mmHg", "mm[Hg]"),
        ("/hpf", "/[HPF]"),
        ("mL/min/1.73 m²", "mL/min/{1.73_m2}"),
        (None, ""),
    ],
)
def test_normalize_unit(raw: str | None, norm: str) -> None:
    assert normalize_unit(raw) == norm


def _alt_cases() -> list[tuple[str, str, float]]:
    cases = []
    for key in sorted(vocab.concept_keys("labs")):
        for alt in vocab.lab(key).alternative_units:
            if alt.factor:
                cases.append((key, alt.unit, alt.factor))
    return cases


ALT_CASES = _alt_cases()


@given(
    case=st.sampled_from(ALT_CASES),
    x=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_roundtrip_alt_unit(case: tuple[str, str, float], x: float) -> None:
    """x (canonical) -> expressed in an alternative unit -> convert back == x."""
    key, unit, factor = case
    got, _ = vocab.convert(key, x / factor, unit)
    assert math.isclose(got, x, rel_tol=1e-9)


@given(x=st.floats(min_value=-50, max_value=150, allow_nan=False))
def test_roundtrip_temperature(x: float) -> None:
    f = x * 9 / 5 + 32
    got, unit = vocab.convert("body_temperature", f, "[degF]")
    assert unit == "Cel"
    assert math.isclose(got, x, abs_tol=1e-9)

"""The one unit converter: exact factors without pint, pint only for the rest, one per pair."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial import vocab
from cartrial.calculators import units as calc_units
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.vocab.units import UnitParseError, exact_factor, registry, unit_factor
from tests.support.fhir_builder import BundleBuilder


@pytest.mark.parametrize(
    ("src", "dst", "factor"),
    [
        ("g", "mg", 1000.0),
        ("ug", "mg", 0.001),
        ("mcg", "mg", 0.001),  # the pharmacy spelling of microgram
        ("µg", "mg", 0.001),
        ("KG", "mg", 1e6),
        ("[lb_av]", "kg", 0.45359237),  # exact by definition (pint's float is one ulp off)
        ("in", "cm", 2.54),
        ("10*3/mm3", "10*9/L", 1.0),  # 1 mm3 is exactly 1 uL
        ("/uL", "10*9/L", 0.001),
        ("g/L", "g/dL", 0.1),
        ("mL/min", "L/h", 0.06),
        ("mL/min/1.73m2", "mL/min/{1.73_m2}", 1.0),
        ("h", "min", 60.0),
    ],
)
def test_exact_factors(src: str, dst: str, factor: float) -> None:
    assert exact_factor(src, dst) == factor
    assert unit_factor(src, dst) == factor


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("mg", "mL"),  # other dimension
        ("tablet", "mg"),  # not a unit
        ("mg/kg", "mg"),
        ("mL/min", "mL/min/{1.73_m2}"),  # other annotation
        ("U/L", "[IU]/L"),  # enzyme units are not a dimensional identity
        ("Cel", "[degF]"),  # an offset scale, not a factor
    ],
)
def test_exact_factor_declines(src: str, dst: str) -> None:
    assert exact_factor(src, dst) is None


def test_pint_settles_what_the_table_cannot_and_refuses_the_impossible() -> None:
    assert unit_factor("kPa", "mm[Hg]") == pytest.approx(7.500617, rel=1e-6)
    assert unit_factor("Cel", "[degF]") is None  # converted point by point instead
    with pytest.raises(UnitParseError):
        unit_factor("mg", "mL")


@given(st.floats(min_value=1e-6, max_value=1e6), st.sampled_from(["mg/L", "g/L", "ug/mL", "mcg/L"]))
def test_exact_factors_agree_with_pint(value: float, unit: str) -> None:
    ureg = registry()
    exact = exact_factor(unit, "mg/dL")
    assert exact is not None
    by_pint = ureg.Quantity(value, unit.replace("mcg", "ug")).to("mg/dL").magnitude
    assert value * exact == pytest.approx(by_pint, rel=1e-12)


def test_calculator_units_come_from_the_converter() -> None:
    for table, canonical in [
        (calc_units.LENGTH_CM, "cm"),
        (calc_units.MASS_KG, "kg"),
        (calc_units.COUNT_10E9_L, "10*9/L"),
        (calc_units.COUNT_PER_UL, "/uL"),
        (calc_units.HGB_G_DL, "g/dL"),
        (calc_units.IGG_MG_DL, "mg/dL"),
    ]:
        assert table[canonical] == 1.0
        for unit, factor in table.items():
            assert factor == exact_factor(unit, canonical), unit
    assert calc_units.MASS_KG["lb"] == 0.45359237
    assert calc_units.ENZYME_U_L["IU/L"] == 1.0  # the written-out convention


@pytest.mark.parametrize(
    ("unit", "mg"), [("mcg", 0.5), ("ug", 0.5), ("g", 500000.0), ("MG", 500.0), ("tablet", None)]
)
def test_a_dose_unit_is_read_by_the_converter(unit: str, mg: float | None) -> None:
    bundle = BundleBuilder("p1", birth="1980-01-01").med("methotrexate", "2026-01-01", dose_mg=500)
    data = bundle.build()
    dose = data["entry"][-1]["resource"]["dosage"][0]["doseAndRate"][0]["doseQuantity"]
    dose["unit"] = dose["code"] = unit
    got = patient_from_bundle(data).medications[0].daily_dose_mg
    assert got == (pytest.approx(mg) if mg is not None else None)


def test_matching_a_demo_bundle_never_imports_pint() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from cartrial.ingest.fhir import load_bundle_file\n"
        "from cartrial.resources import examples_dir\n"
        "from cartrial.services.bundled_protocols import load_protocols\n"
        "from cartrial.evaluate import screen\n"
        "p = load_bundle_file(sorted((examples_dir() / 'patients').glob('*.json'))[0])\n"
        "for pr in load_protocols().values(): screen(pr, p, as_of=date(2026, 11, 22))\n"
        "print('pint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_convert_goes_through_the_cached_pair_factor() -> None:
    unit_factor.cache_clear()
    assert vocab.convert("crp", 1.5, "g/L")[0] == 1500.0  # no listed factor: dimensional
    assert unit_factor.cache_info().currsize >= 1

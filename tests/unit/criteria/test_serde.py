"""Protocol files: validated at load with errors naming the file, the criterion id and field."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from cartrial.criteria.nodes import AllOf, Measurement
from cartrial.criteria.serde import (
    ProtocolError,
    dump_protocol,
    load_protocol,
    parse_criterion,
    parse_protocol,
)

MINIMAL = """
schema_version: 1
trial:
  nct_id: NCT00000001
  title: Test trial
criteria:
  inclusion:
    - id: inc-1
      kind: age
      text: "Age 18-65"
      min_years: 18
      max_years: 65
    - id: inc-2
      kind: all_of
      text: "Organ function"
      items:
        - kind: measurement
          text: "ALT <= 3 x ULN"
          concept: alt
          comparator: "<="
          uln_multiple: 3
        - id: inc-2.crcl
          kind: derived
          text: "CrCl >= 30 mL/min"
          calculator: crcl_cockcroft_gault
          comparator: ">="
          value: 30
          unit: mL/min
  exclusion:
    - kind: manual
      text: "Investigator considers unsuitable"
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_assigns_ids_and_round_trips(tmp_path: Path) -> None:
    protocol = load_protocol(write(tmp_path, MINIMAL))
    inc = protocol.criteria.inclusion
    assert inc[0].id == "inc-1"
    assert isinstance(inc[1], AllOf)
    assert inc[1].items[0].id == "inc-2.1"
    assert inc[1].items[1].id == "inc-2.crcl"
    assert protocol.criteria.exclusion[0].id == "exc-1"
    again = parse_protocol(__import__("yaml").safe_load(dump_protocol(protocol)))
    assert again == protocol


def test_error_names_file_criterion_and_field(tmp_path: Path) -> None:
    bad = MINIMAL.replace('comparator: "<="', 'comparator: "about"')
    path = write(tmp_path, bad, "NCT00000001.yaml")
    with pytest.raises(ProtocolError) as exc:
        load_protocol(path)
    msg = str(exc.value)
    assert "NCT00000001.yaml" in msg
    assert "comparator" in msg
    assert "inc-2" in msg


def test_missing_threshold_unit_is_rejected() -> None:
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
    assert "unit" in str(exc.value)


def test_two_thresholds_rejected() -> None:
    with pytest.raises(ProtocolError):
        parse_criterion(
            {
                "kind": "measurement",
                "concept": "alt",
                "comparator": "<=",
                "uln_multiple": 3,
                "value": 40,
                "unit": "U/L",
            }
        )


def test_impossible_age_range_rejected() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_criterion({"id": "inc-1", "kind": "age", "min_years": 70, "max_years": 18})
    assert "impossible age range" in str(exc.value)


def test_schema_version_required_and_not_from_future(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="schema_version"):
        load_protocol(write(tmp_path, MINIMAL.replace("schema_version: 1", "")))
    with pytest.raises(ProtocolError, match="newer"):
        load_protocol(write(tmp_path, MINIMAL.replace("schema_version: 1", "schema_version: 99")))


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="duplicate"):
        load_protocol(write(tmp_path, MINIMAL.replace("id: inc-2.crcl", "id: inc-1")))


def test_unknown_field_rejected_with_name(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as exc:
        load_protocol(
            write(tmp_path, MINIMAL.replace("min_years: 18", "min_years: 18\n      minimum: 3"))
        )
    assert "minimum" in str(exc.value)


def test_invalid_yaml_names_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as exc:
        load_protocol(write(tmp_path, "schema_version: [1", "broken.yaml"))
    assert "broken.yaml" in str(exc.value)


def test_half_life_window_only_for_medications() -> None:
    with pytest.raises(ProtocolError):
        parse_criterion(
            {
                "kind": "measurement",
                "concept": "alt",
                "comparator": "<=",
                "uln_multiple": 3,
                "lookback": {"amount": 5, "unit": "half_lives"},
            }
        )
    node = parse_criterion(
        {
            "kind": "medication",
            "classes": ["bDMARDs"],
            "within": {"amount": 5, "unit": "half_lives"},
        }
    )
    assert node.kind == "medication"


def test_measurement_node_is_frozen() -> None:
    node = parse_criterion(
        {"kind": "measurement", "concept": "alt", "comparator": "<=", "uln_multiple": 3}
    )
    assert isinstance(node, Measurement)
    with pytest.raises(ValidationError):
        node.concept = "ast"  # type: ignore[misc]

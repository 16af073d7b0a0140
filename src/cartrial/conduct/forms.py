"""Form strings -> the typed inputs a calculator's input model expects (validated there)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cartrial.calculators.registry import get_calculator
from cartrial.domain.errors import DataError


def calculator_fields(name: str) -> list[dict[str, Any]]:
    """Name, JSON kind, required flag, default and choices of each input of calculator ``name``."""
    schema = get_calculator(name).inputs.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for fname, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        types = [o.get("type") for o in options if "type" in o]
        kind = next((t for t in types if t and t != "null"), "string")
        fields.append(
            {
                "name": fname,
                "kind": kind,
                "required": fname in required,
                "nullable": "null" in types,
                "default": prop.get("default"),
                "choices": next((o["enum"] for o in options if "enum" in o), None),
            }
        )
    return fields


def coerce_inputs(name: str, raw: Mapping[str, str]) -> dict[str, Any]:
    """Convert the submitted strings of calculator ``name``; blanks are left out (defaults
    apply), a value that is not of the field's kind is a DataError naming the field."""
    out: dict[str, Any] = {}
    for field in calculator_fields(name):
        fname, kind = field["name"], field["kind"]
        text = (raw.get(fname) or "").strip()
        if kind == "boolean":
            if fname in raw:
                out[fname] = text.lower() in ("on", "true", "1", "yes")
            continue
        if not text:
            continue
        try:
            if kind == "number":
                out[fname] = float(text)
            elif kind == "integer":
                out[fname] = int(text)
            elif kind in ("object", "array"):
                out[fname] = json.loads(text)
            else:
                out[fname] = text
        except (ValueError, json.JSONDecodeError):
            raise DataError(f"{text!r} is not a valid {kind}", field=fname) from None
    return out

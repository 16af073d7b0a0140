"""Workspace calculators: each registered clinical calculator as a form with a proper title,
labelled inputs with their units, selects for the values a calculator accepts, and the result
as a readable breakdown (components and conventions as labelled rows, not raw JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from cartrial.calculators import crs, ctcae, icaht, icans, lymphodepletion, myositis, renal
from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.domain.errors import DataError
from cartrial.explain.values import fmt_number, round_sig
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import AppSettings, PageUser
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")

_CAPD = tuple(icans.CAPD_ANSWERS)
CHOICES: dict[str, tuple[str, ...]] = {
    "sex": ("female", "male"),
    "weight_basis": tuple(renal.WEIGHT_BASES),
    "oxygen": tuple(crs.OXYGEN_GRADES),
    "baseline_rule": tuple(ctcae.CREATININE_BASELINE_RULES),
    "phase": tuple(icaht.PHASES),
    "late_rule": tuple(icaht.LATE_RULES),
    "consciousness": tuple(icans.CONSCIOUSNESS_GRADES),
    "seizure": tuple(icans.SEIZURE_GRADES),
    "motor": tuple(icans.MOTOR_GRADES),
    "edema": tuple(icans.EDEMA_GRADES),
    "scheme": tuple(lymphodepletion.SCHEMES),
    "bsa_formula": tuple(lymphodepletion.BSA_FORMULAS),
    "version": tuple(myositis.MMT8_KEYS),
    "population": tuple(myositis.TIS_THRESHOLDS),
    "enzyme_change": tuple(myositis.ENZYME_CHANGES),
    **{
        k: _CAPD
        for k in (
            "eye_contact",
            "purposeful_actions",
            "aware_of_surroundings",
            "communicates_needs_and_wants",
            "restless",
            "inconsolable",
            "underactive",
            "long_time_to_respond",
        )
    },
}
"""The values each text input accepts (the calculators' own option tables)."""
CTCAE_CHOICES = {
    "oxygen": tuple(ctcae.CTCAE_CRS_OXYGEN),
    "hypotension": tuple(ctcae.CTCAE_CRS_HYPOTENSION),
}

_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mg_per_m2", "mg/m²"),
    ("_ml_min", "mL/min"),
    ("_mg_dl", "mg/dL"),
    ("_mg_l", "mg/L"),
    ("_g_dl", "g/dL"),
    ("_umol_l", "µmol/L"),
    ("_u_l", "U/L"),
    ("_10e9_l", "× 10⁹/L"),
    ("_per_ul", "/µL"),
    ("_mg_day", "mg/day"),
    ("_mm_h", "mm/h"),
    ("_years", "years"),
    ("_kg", "kg"),
    ("_cm", "cm"),
    ("_m2", "m²"),
    ("_days", "days"),
    ("_mg", "mg"),
    ("_c", "°C"),
    ("_f", "°F"),
    ("_0_10", "0–10"),
    ("_0_100", "0–100"),
)
_WORDS = {
    "scr": "serum creatinine",
    "crcl": "CrCl",
    "anc": "ANC",
    "alt": "ALT",
    "ast": "AST",
    "crp": "CRP",
    "esr": "ESR",
    "bsa": "BSA",
    "hgb": "haemoglobin",
    "igg": "IgG",
    "wbc": "WBC",
    "lln": "LLN",
    "uln": "ULN",
    "haq": "HAQ",
    "di": "DI",
    "mmt8": "MMT-8",
    "das28": "DAS28",
    "sjc28": "swollen joints (28)",
    "tjc28": "tender joints (28)",
    "sjc66": "swollen joints (66)",
    "tjc68": "tender joints (68)",
    "pga": "physician global",
    "evga": "evaluator global",
    "ptga": "patient global",
    "ptgh": "patient global health",
    "mrss": "mRSS",
    "fvc": "FVC",
    "ice": "ICE",
    "capd": "CAPD",
    "bilag": "BILAG",
    "sledai": "SLEDAI",
    "selena": "SELENA",
    "ana": "ANA",
    "le": "≤",
    "lt": "<",
    "ge": "≥",
    "gi": "GI",
    "crs": "CRS",
    "icans": "ICANS",
    "cn6": "CN VI",
}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Renal function and conversions", ("crcl", "egfr", "creatinine_")),
    ("Body size and lymphodepletion dosing", ("bsa", "lymphodepletion", "fludarabine")),
    ("CAR-T toxicities (CRS, ICANS, ICAHT)", ("crs", "icans", "ice_", "capd", "icaht")),
    ("CTCAE v5.0 grading", ("ctcae",)),
    ("Lupus", ("sledai", "clinical_sledai", "sle", "lldas", "doris", "bilag")),
    ("Rheumatoid arthritis", ("das28", "cdai", "sdai", "acr_response", "eular")),
    (
        "Systemic sclerosis, Sjögren's, myositis",
        ("acr_criss", "mrss", "essdai", "mmt", "imacs", "tis", "myositis"),
    ),
    ("Immune thrombocytopenia", ("itp",)),
)


def field_label(name: str) -> tuple[str, str]:
    """``scr_mg_dl`` → ("Serum creatinine", "mg/dL"): a label and the unit the field is in."""
    unit = ""
    base = name
    for suffix, shown in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base, unit = name[: -len(suffix)], shown
            break
    words = [_WORDS.get(w, w) for w in base.split("_") if w]
    text = " ".join(words)
    return (text[:1].upper() + text[1:]) if text else name, unit


def title_of(description: str) -> str:
    """A calculator's title: its description without the bracketed detail."""
    head = re.split(r" \(", description, maxsplit=1)[0].strip()
    return head or description


def choice_label(value: str) -> str:
    return value.replace("_", " ").replace(" lt ", " < ").replace(" ge ", " ≥ ")


def grouped(calcs: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    out: dict[str, list[Any]] = {title: [] for title, _ in GROUPS}
    out["Other"] = []
    for calc in calcs:
        title = next(
            (t for t, prefixes in GROUPS if any(calc.name.startswith(p) for p in prefixes)),
            "Other",
        )
        out[title].append(calc)
    return [
        (t, sorted(v, key=lambda c: title_of(c.description).casefold()))
        for t, v in out.items()
        if v
    ]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_number(round_sig(value, 4))  # 4 significant figures: no float noise
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return choice_label(str(value)) if isinstance(value, str) else str(value)


def breakdown(section: dict[str, Any] | None) -> list[dict[str, str]]:
    """Labelled rows for a result's components or conventions (None values left out)."""
    rows = []
    for key, value in (section or {}).items():
        if value is None:
            continue
        label, unit = field_label(key)
        rows.append({"label": label, "value": _shown(value), "unit": unit})
    return rows


def _calc_fields(name: str) -> list[dict[str, Any]]:
    calc = get_calculator(name)
    schema = calc.inputs.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for fname, prop in schema.get("properties", {}).items():
        types = [prop["type"]] if "type" in prop else [a.get("type") for a in prop.get("anyOf", [])]
        kind = next((t for t in types if t and t != "null"), "string")
        label, unit = field_label(fname)
        options = CHOICES.get(fname)
        if name.startswith("ctcae") and fname in CTCAE_CHOICES:
            options = CTCAE_CHOICES[fname]
        if kind == "boolean":
            options = None
        fields.append(
            {
                "name": fname,
                "label": label,
                "unit": unit,
                "choices": [(o, choice_label(o)) for o in options] if options else None,
                "kind": kind,
                "required": fname in required,
                "nullable": "null" in types,
                "default": prop.get("default"),
                "description": prop.get("description", ""),
            }
        )
    return fields


def _coerce(field: dict[str, Any], raw: str | None) -> Any:
    """A form string to the JSON value the calculator's strict model expects."""
    kind = field["kind"]
    if kind == "boolean":
        return raw in ("on", "true", "1", "yes")
    text = (raw or "").strip()
    if not text:
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise DataError(f"{text!r} is not a number", field=field["name"]) from None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise DataError(f"{text!r} is not a whole number", field=field["name"]) from None
    if kind in ("object", "array"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc.msg})", field=field["name"]) from None
    return text


@router.get("/calculators")
def calculators(request: Request, user: PageUser) -> Response:
    return render(
        request,
        "ws_calculators.html",
        {"user": user, "groups": grouped(list_calculators()), "title_of": title_of},
    )


def _calculator_or_404(name: str) -> Any:
    try:
        return get_calculator(name)
    except DataError:
        raise HTTPException(404, f"There is no calculator {name!r}.") from None


@router.get("/calculators/{name}")
def calculator_page(request: Request, name: str, user: PageUser) -> Response:
    calc = _calculator_or_404(name)
    return render(
        request,
        "ws_calculator.html",
        {
            "user": user,
            "calc": calc,
            "title": title_of(calc.description),
            "fields": _calc_fields(name),
            "values": {},
            "result": None,
            "error": None,
        },
    )


@router.post("/calculators/{name}")
async def calculator_run(
    request: Request,
    name: str,
    user: PageUser,
    settings: AppSettings,
) -> Response:
    calc = _calculator_or_404(name)
    fields = _calc_fields(name)
    form = await read_form(request, settings.max_bundle_bytes)
    values = {f["name"]: form_text(form, f["name"]) for f in fields}
    ctx: dict[str, Any] = {
        "user": user,
        "calc": calc,
        "title": title_of(calc.description),
        "fields": fields,
        "values": values,
        "result": None,
        "error": None,
    }
    status = 200
    try:
        inputs = {}
        for f in fields:
            value = _coerce(
                f,
                form_text(form, f["name"])
                if f["kind"] != "boolean"
                else form_text(form, f["name"], "off"),
            )
            if value is not None or f["required"]:
                inputs[f["name"]] = value
        result = run_calculator(name, inputs).to_json_dict()
        result["component_rows"] = breakdown(result.get("components"))
        result["convention_rows"] = breakdown(result.get("conventions"))
        value = result.get("value")
        result["value_text"] = _shown(value) if not isinstance(value, dict) else ""
        ctx["result"] = result
    except DataError as exc:
        ctx["error"] = str(exc)
        status = 422
    template = (
        "_calc_result.html" if request.headers.get("hx-request") == "true" else "ws_calculator.html"
    )
    return render(request, template, ctx, status_code=status)

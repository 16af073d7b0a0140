#!/usr/bin/env python3
"""Build the package vocabulary data files from ``../shared/reference/vocabulary.json``.

Usage::

    python scripts/build_vocab.py [PATH/TO/vocabulary.json] [--out src/cartrial/vocab/data]

Only codes marked ``verified: true`` are kept. The output is committed to the repository so the
installed package works without the shared reference folder.

``reference_ranges.json`` (default adult reference ranges) is *hand-curated*: this script does not
overwrite it, it only checks that every key is a lab concept and that the range's unit equals the
concept's canonical unit. Extend the data files, not the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "vocabulary.json"
DEFAULT_OUT = REPO / "src" / "cartrial" / "vocab" / "data"

# vocabulary.json names some code systems by vocabulary label in ``icd_prefix_match``
PREFIX_SYSTEMS = {
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
}

# elimination_half_lives uses drug names that are not always medication keys
HALF_LIFE_ALIASES = {
    "prednisone/prednisolone": ["prednisone", "prednisolone"],
    "mycophenolate": ["mycophenolate_mofetil", "mycophenolic_acid"],
}


def _codes(concept: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in concept.get("codes", []):
        if c.get("verified") is not True or not c.get("code"):
            continue
        if not str(c.get("system", "")).startswith(("http://", "https://")):
            # e.g. a VSAC value-set OID: not a code an instance carries
            continue
        out.append(
            {
                "system": c["system"],
                "code": str(c["code"]).strip(),
                "display": c.get("display"),
                "evidence_level": c.get("evidence_level"),
            }
        )
    return out


def build_labs(src: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labs = []
    for c in src:
        labs.append(
            {
                "key": c["key"],
                "display": c["display"],
                "canonical_unit": c.get("canonical_unit_ucum"),
                "alternative_units": [
                    {
                        # both spellings occur in vocabulary.json (unit/factor_to_canonical and,
                        # since the 2026-12-05 correction, ucum/to_canonical_factor)
                        "unit": a.get("unit") or a["ucum"],
                        "factor": a.get("factor_to_canonical", a.get("to_canonical_factor")),
                        "note": a.get("note") or "",
                    }
                    for a in c.get("alternative_units", [])
                ],
                "codes": _codes(c),
                "note": c.get("note", ""),
            }
        )
    return labs


def build_conditions(src: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in src:
        prefixes = {
            PREFIX_SYSTEMS[vocab]: list(p)
            for vocab, p in (c.get("icd_prefix_match") or {}).items()
            if vocab in PREFIX_SYSTEMS
        }
        out.append(
            {
                "key": c["key"],
                "display": c["display"],
                "group": c.get("group"),
                "codes": _codes(c),
                "prefix_match": prefixes,
                "note": c.get("note", ""),
            }
        )
    return out


def build_medications(src: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in src:
        codes = _codes(c)
        out.append(
            {
                "key": c["key"],
                "display": c["display"],
                "drug_class": c.get("drug_class"),
                "codes": codes,
                "atc_codes": [x["code"] for x in codes if x["system"] == "http://www.whocc.no/atc"],
                "note": c.get("note", ""),
            }
        )
    return out


def build_simple(src: list[dict[str, Any]], *extra: str) -> list[dict[str, Any]]:
    out = []
    for c in src:
        item: dict[str, Any] = {
            "key": c["key"],
            "display": c.get("display") or c.get("label"),
            "codes": _codes(c),
        }
        for e in extra:
            item[e] = c.get(e)
        out.append(item)
    return out


def build_half_lives(src: list[dict[str, Any]], med_keys: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for h in src:
        keys = HALF_LIFE_ALIASES.get(h["drug"], [h["drug"]])
        for k in keys:
            if k not in med_keys:
                print(
                    f"warning: half-life drug {h['drug']!r} is not a medication key",
                    file=sys.stderr,
                )
            out[k] = {
                "days": h.get("days"),
                "five_half_lives_days": h.get("five_half_lives_days"),
                "checked": bool(h.get("checked")),
                "source": h.get("source", ""),
                "t_half": h.get("t_half", ""),
                "note": h.get("note", ""),
            }
    return out


def check_reference_ranges(out: Path, labs: list[dict[str, Any]]) -> None:
    path = out / "reference_ranges.json"
    if not path.exists():
        print(f"warning: {path} missing (hand-curated file)", file=sys.stderr)
        return
    ranges = json.loads(path.read_text())["ranges"]
    by_key = {lab["key"]: lab for lab in labs}
    for key, r in ranges.items():
        if key not in by_key:
            raise SystemExit(f"reference_ranges.json: {key!r} is not a lab concept")
        if r["unit"] != by_key[key]["canonical_unit"]:
            raise SystemExit(
                f"reference_ranges.json: {key}: unit {r['unit']!r} is not the canonical "
                f"unit {by_key[key]['canonical_unit']!r}"
            )
        if not r.get("source"):
            raise SystemExit(f"reference_ranges.json: {key}: missing source")


def add_local_concepts(out: Path, labs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the hand-curated local concepts (local_instruments.json) into the lab concepts.

    A concept already in the vocabulary (e.g. sledai_2k, whose LOINC code is unverified) gains
    the local code; a new one (e.g. bilag_a_count) is added with its display and unit.
    """
    path = out / "local_instruments.json"
    if not path.exists():
        return labs
    local = json.loads(path.read_text())
    by_key = {lab["key"]: lab for lab in labs}
    for item in local["instruments"]:
        code = {"system": local["system"], "code": item["key"], "evidence_level": "local"}
        if item["key"] in by_key:
            by_key[item["key"]]["codes"].append({**code, "display": by_key[item["key"]]["display"]})
            continue
        lab = {
            "key": item["key"],
            "display": item["display"],
            "canonical_unit": item["canonical_unit"],
            "alternative_units": [],
            "codes": [{**code, "display": item["display"]}],
            "note": "cartrial local concept (no verified standard code)",
        }
        labs.append(lab)
        by_key[item["key"]] = lab
    return labs


def write(out: Path, name: str, payload: Any) -> None:
    (out / name).write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)
    src_path = Path(args.source)
    out = Path(args.out)
    if not src_path.exists():
        print(f"error: {src_path} not found", file=sys.stderr)
        return 2
    data = json.loads(src_path.read_text())
    out.mkdir(parents=True, exist_ok=True)

    labs = add_local_concepts(out, build_labs(data["labs"]))
    meds = build_medications(data["medications"])
    meta = {
        "source_file": src_path.name,
        "source_generated": data.get("meta", {}).get("generated"),
        "verification_policy": data.get("meta", {}).get("verification_policy"),
        "note": "Generated by scripts/build_vocab.py; verified codes only. Do not edit by hand "
        "(except reference_ranges.json, which is hand-curated).",
    }
    write(out, "meta.json", meta)
    write(out, "labs.json", labs)
    write(out, "conditions.json", build_conditions(data["conditions"]))
    write(out, "medications.json", meds)
    write(out, "atc_classes.json", build_simple(data["atc_classes"]))
    write(out, "vaccines.json", build_simple(data["vaccines"], "live_status"))
    write(out, "procedures.json", build_simple(data["procedures"]))
    write(out, "atc_class_groups.json", data["atc_class_groups"])
    ge = data["glucocorticoid_equivalence"]
    write(
        out,
        "glucocorticoid_equivalence.json",
        {
            "reference": ge["reference"],
            "basis": ge["basis"],
            "factors": {
                f["drug"]: {
                    "factor_to_prednisone": f["factor_to_prednisone"],
                    "equivalent_mg": f["equivalent_mg"],
                }
                for f in ge["factors"]
            },
            "note": ge.get("note", ""),
            "sources": [" ".join(s) if isinstance(s, list) else s for s in ge.get("sources", [])],
        },
    )
    write(
        out,
        "elimination_half_lives.json",
        build_half_lives(data["elimination_half_lives"], {m["key"] for m in meds}),
    )
    check_reference_ranges(out, labs)
    n = sum(len(x["codes"]) for x in labs + meds)
    print(
        f"wrote vocabulary data to {out} ({len(labs)} labs, {len(meds)} medications, {n} lab+drug codes)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

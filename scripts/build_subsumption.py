#!/usr/bin/env python3
"""Build the SNOMED CT subsumption table (package data) for the vocabulary's condition concepts.

Usage::

    python scripts/build_subsumption.py [--omop ../shared/research/omop] \
        [--vocabulary ../shared/reference/vocabulary.json] [--out src/cartrial/vocab/data]

A FHIR Condition is often coded with a more specific SNOMED CT concept than the one the
vocabulary lists (239791005 "Seropositive rheumatoid arthritis" under 69896004 "Rheumatoid
arthritis"). This script walks the OMOP standard-vocabulary hierarchy shipped with the OHDSI
sample CDMs and writes, for every descendant whose SNOMED code is known, the vocabulary concepts
it belongs to (``snomed_descendants.json``).

Sources (all OHDSI data, read-only, in ``../shared/research/omop``):

* hierarchy: ``Synthea27Nj/CONCEPT_RELATIONSHIP.csv`` rows ``Is a`` (concept_id_1 is a child of
  concept_id_2; closed transitively here) and ``GiBleed/CONCEPT_ANCESTOR.csv``;
* concept id -> SNOMED code: ``GiBleed/CONCEPT.csv``, ``Synthea27Nj/CONCEPT.csv``, the concept
  items of the PhenotypeLibrary cohort definitions in ``phenotypes/*.json`` (and, with
  ``--circe-dir``, of every cohort of a PhenotypeLibrary checkout, ``inst/cohorts/*.json``), and
  the ``omop_concept_id`` of the verified codes in ``vocabulary.json``.

Only SNOMED descendants whose code is known from those files are written; a descendant that is
itself a listed code of the vocabulary is left to the exact match. The output is committed, so
the installed package does not need the shared folder.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OMOP = REPO.parent / "shared" / "research" / "omop"
DEFAULT_VOCAB = REPO.parent / "shared" / "reference" / "vocabulary.json"
DEFAULT_OUT = REPO / "src" / "cartrial" / "vocab" / "data"
SNOMED = "http://snomed.info/sct"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(fh)]


def concept_codes(
    omop: Path, vocab: dict[str, Any], circe_dirs: tuple[Path, ...] = ()
) -> dict[int, tuple[str, str, str]]:
    """OMOP concept id -> (vocabulary_id, concept_code, name) from every file that says so."""
    out: dict[int, tuple[str, str, str]] = {}
    for name in ("GiBleed/CONCEPT.csv", "Synthea27Nj/CONCEPT.csv"):
        path = omop / name
        if path.exists():
            for r in _rows(path):
                out[int(r["concept_id"])] = (
                    r["vocabulary_id"],
                    r["concept_code"],
                    r["concept_name"],
                )
    files = [
        f for d in (omop / "phenotypes", *circe_dirs) for f in sorted(glob.glob(str(d / "*.json")))
    ]
    for f in files:
        for cs in json.loads(Path(f).read_text()).get("ConceptSets", []):
            for item in cs.get("expression", {}).get("items", []):
                c = item["concept"]
                if c.get("CONCEPT_ID") and c.get("CONCEPT_CODE"):
                    out.setdefault(
                        int(c["CONCEPT_ID"]),
                        (
                            c.get("VOCABULARY_ID", ""),
                            str(c["CONCEPT_CODE"]),
                            c.get("CONCEPT_NAME", ""),
                        ),
                    )
    for group in ("conditions", "procedures"):
        for concept in vocab[group]:
            for code in concept.get("codes", []):
                if code.get("verified") and code.get("omop_concept_id") and code.get("code"):
                    out.setdefault(
                        int(code["omop_concept_id"]),
                        (code.get("vocabulary", ""), str(code["code"]), code.get("display") or ""),
                    )
    return out


def children_map(omop: Path) -> dict[int, set[int]]:
    """parent id -> direct or indirect child ids, from both hierarchy files."""
    children: dict[int, set[int]] = defaultdict(set)
    rel = omop / "Synthea27Nj" / "CONCEPT_RELATIONSHIP.csv"
    if rel.exists():
        for r in _rows(rel):
            if r["relationship_id"] == "Is a" and not r.get("invalid_reason"):
                children[int(r["concept_id_2"])].add(int(r["concept_id_1"]))
    anc = omop / "GiBleed" / "CONCEPT_ANCESTOR.csv"
    if anc.exists():
        for r in _rows(anc):
            a, d = int(r["ancestor_concept_id"]), int(r["descendant_concept_id"])
            if a != d:
                children[a].add(d)
    return children


def descendants(root: int, children: dict[int, set[int]]) -> set[int]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def build(omop: Path, vocab: dict[str, Any], circe_dirs: tuple[Path, ...] = ()) -> dict[str, Any]:
    codes = concept_codes(omop, vocab, circe_dirs)
    by_code = {(v, c): i for i, (v, c, _) in codes.items()}
    children = children_map(omop)
    listed = {
        str(x["code"])
        for c in vocab["conditions"]
        for x in c.get("codes", [])
        if x.get("system") == SNOMED and x.get("verified")
    }
    table: dict[str, dict[str, Any]] = {}
    for concept in vocab["conditions"]:
        for code in concept.get("codes", []):
            if code.get("system") != SNOMED or not code.get("verified") or not code.get("code"):
                continue
            root = code.get("omop_concept_id") or by_code.get(("SNOMED", str(code["code"])))
            if root is None:
                continue
            for d in sorted(descendants(int(root), children)):
                known = codes.get(d)
                if known is None or known[0] != "SNOMED" or known[1] in listed:
                    continue
                entry = table.setdefault(known[1], {"display": known[2], "concepts": {}})
                entry["concepts"].setdefault(concept["key"], str(code["code"]))
    return {
        "note": "Generated by scripts/build_subsumption.py: SNOMED CT descendants (code -> "
        "vocabulary condition concepts, with the listed ancestor code) from the OMOP hierarchy "
        "of the OHDSI sample CDMs. Do not edit by hand.",
        "sources": [
            "OHDSI EunomiaDatasets Synthea27Nj CONCEPT_RELATIONSHIP 'Is a' (commit 3efd533e)",
            "OHDSI Eunomia GiBleed CONCEPT_ANCESTOR and CONCEPT (commit 29514099)",
            "OHDSI PhenotypeLibrary cohort concept sets, inst/cohorts/*.json (commit 40106e4e)",
            "vocabulary.json omop_concept_id of verified codes",
        ],
        "descendants": {
            k: {"display": v["display"], "concepts": v["concepts"]}
            for k, v in sorted(table.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--omop", default=str(DEFAULT_OMOP))
    ap.add_argument("--vocabulary", default=str(DEFAULT_VOCAB))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument(
        "--circe-dir",
        action="append",
        default=[],
        help="more Circe cohort JSONs (e.g. PhenotypeLibrary inst/cohorts) for codes",
    )
    args = ap.parse_args(argv)
    omop, vocab_path = Path(args.omop), Path(args.vocabulary)
    for p in (omop, vocab_path):
        if not p.exists():
            print(f"error: {p} not found", file=sys.stderr)
            return 2
    circe = tuple(Path(d) for d in args.circe_dir)
    data = build(omop, json.loads(vocab_path.read_text()), circe)
    out = Path(args.out) / "snomed_descendants.json"
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(data['descendants'])} SNOMED CT descendants to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

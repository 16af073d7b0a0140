"""The concept lexicon (``ingest/parse/lexicon.py``): generated from the vocabulary plus the
parser-only synonyms of ``lexicon.yaml``; first-character dispatch without ``re._parser``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cartrial import vocab
from cartrial.ingest.parse import lexicon as lx


@pytest.mark.parametrize(
    ("pattern", "first"),
    [
        (r"prednisone", "p"),
        (r"(?-i:\bSLE\b)", "s"),
        (r"(?:juvenile\s+)?dermatomyositis", "jd"),
        (r"sj[oö]e?gren", "s"),
        (r"[a-c]bc", "abc"),
        (r"(?:a|b)?c", "abc"),
        (r"(?P<x>x|y)z", "xy"),
        (r"(?!not)word", "w"),
        (r"\d+\s*mg", "0123456789"),
    ],
)
def test_first_characters(pattern: str, first: str) -> None:
    assert lx.first_chars(pattern) == frozenset(first)


@pytest.mark.parametrize("pattern", [r".x", r"\w+", r"(?:a)?", r"[^a]b"])
def test_first_characters_unknown_means_everywhere(pattern: str) -> None:
    assert lx.first_chars(pattern) is None


def test_the_parser_does_not_use_the_private_regex_parser() -> None:
    folder = Path(lx.__file__).parent
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "re._parser" not in source and "sre_parse" not in source, path.name


def test_vocabulary_names_become_synonyms() -> None:
    # etanercept and dexamethasone are only in the vocabulary, not in lexicon.yaml
    for key in ("etanercept", "dexamethasone"):
        assert key in lx.DRUGS
        assert (
            lx.find_all(lx.DRUGS, f"use of {vocab.display('medications', key)} within 2 months")[0][
                0
            ]
            == key
        )
    assert lx.find_all(lx.ANALYTES, "Aldolase > 1.5 x ULN")[0][0] == "aldolase"


def test_names_from_the_vocabulary() -> None:
    assert lx.vocabulary_names("Alanine aminotransferase (ALT)") == [
        r"Alanine[\s-]+aminotransferase",
        r"(?-i:\bALT\b)",
    ]
    assert lx.vocabulary_names("Stroke / cerebrovascular accident") == ["Stroke"]
    assert lx.vocabulary_names("Hepatitis B core antibody (total)") == [
        r"Hepatitis[\s-]+B[\s-]+core[\s-]+antibody"
    ]


def test_a_name_shared_by_two_keys_is_not_a_synonym() -> None:
    # "Swollen joint count" names both the 28- and the 66-joint count in the vocabulary
    assert lx.find_all(lx.SCORES, "Swollen joint count >= 4")[0][0] == "swollen_joint_count_28"


def test_parser_only_keys_are_declared() -> None:
    vocab_keys = set().union(*(vocab.concept_keys(g) for g in vocab.GROUPS)) | vocab.concept_keys(
        "atc_class_groups"
    )
    tables = (lx.CONDITIONS, lx.ANALYTES, lx.SCORES, lx.DRUGS, lx.DRUG_CLASSES, lx.PROCEDURES)
    used = {k for t in tables for k in t}
    undeclared = sorted(
        k
        for k in used - vocab_keys - lx.NOT_IN_VOCABULARY
        if k not in lx.EXPANSIONS and k not in lx.CLASS_EXPANSIONS
    )
    assert undeclared == []


def test_every_synonym_compiles() -> None:
    tables = (lx.CONDITIONS, lx.ANALYTES, lx.SCORES, lx.DRUGS, lx.DRUG_CLASSES, lx.PROCEDURES)
    for t in tables:
        for key, pats in t.items():
            for p in pats:
                re.compile(p, re.IGNORECASE)  # raises on a broken fragment
                assert p, key

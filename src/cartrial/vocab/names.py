"""Recognition by name: instruments sent with words instead of codes, and possible mentions.

* :func:`instrument_by_name`: an Observation whose ``code.text`` or ``coding.display`` is one of
  the curated names of an instrument (``data/instrument_names.json``), compared exactly after
  :func:`normalize_name` (NFKC, case-folded, everything but letters and digits removed):
  "mRSS", "m.R.S.S." and "MRSS" are one name; "mRSS (modified)" is not. No fuzzy matching.
* :func:`mentions`: the condition/procedure concepts whose curated words appear (whole word) in a
  free text; used only to mark an unrecognised record as *possibly* relevant to a criterion.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources
from typing import Any


def _read(name: str) -> Any:
    return json.loads(
        resources.files("cartrial.vocab").joinpath("data", name).read_text(encoding="utf-8")
    )


def normalize_name(text: str) -> str:
    """Case- and punctuation-insensitive form of a name (letters and digits only)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


@functools.cache
def _instrument_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, names in _read("instrument_names.json")["names"].items():
        for name in names:
            norm = normalize_name(name)
            if index.get(norm, key) != key:
                raise ValueError(f"instrument name {name!r} is listed for two concepts")
            index[norm] = key
    return index


def instrument_by_name(text: str | None) -> str | None:
    """The lab/score concept key whose curated name ``text`` is, or None."""
    if not text:
        return None
    return _instrument_index().get(normalize_name(text))


def instrument_names() -> dict[str, tuple[str, ...]]:
    """Every curated name per concept (for documentation and tests)."""
    return {k: tuple(v) for k, v in _read("instrument_names.json")["names"].items()}


@functools.cache
def _mention_rules() -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    data = _read("condition_mentions.json")
    out: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
    for group in ("conditions", "procedures"):
        out[group] = tuple(
            (key, re.compile(r"(?<![a-z0-9])" + re.escape(w.casefold()) + r"(?![a-z0-9])"))
            for key, words in data[group].items()
            for w in words
        )
    return out


def mentions(text: str | None, group: str = "conditions") -> frozenset[str]:
    """Concept keys of ``group`` (conditions, procedures) whose words appear in ``text``."""
    if not text:
        return frozenset()
    t = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return frozenset(key for key, rx in _mention_rules()[group] if rx.search(t))


def mentions_phrase(text: str, phrase: str) -> bool:
    """Whole-word, case-insensitive: is ``phrase`` in ``text``?"""
    t = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    p = " ".join(phrase.casefold().split())
    return re.search(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])", t) is not None

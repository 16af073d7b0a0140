"""Great-circle distances between points on the Earth (haversine formula).

Sinnott RW. "Virtues of the Haversine." Sky and Telescope 68(2):159 (1984). The Earth is taken
as a sphere of mean radius 6371.0088 km (IUGG mean radius R1; Moritz, Geodetic Reference
System 1980); error against the ellipsoid stays below 0.5 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EARTH_RADIUS_KM", "KM_PER_MILE", "Point", "haversine_km", "parse_point"]

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344  # international mile (1959)


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or not (-180.0 <= self.lon <= 180.0):
            raise ValueError(
                f"({self.lat}, {self.lon}) is not a point on Earth: latitude must lie in "
                "-90..90 and longitude in -180..180"
            )


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def parse_point(text: str) -> Point | None:
    """``"31.23,121.47"`` -> Point; None when the text is not two comma-separated numbers.

    Raises ValueError when it is two numbers but not a point on Earth.
    """
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"{text!r}: latitude and longitude must be finite numbers")
    return Point(lat, lon)

"""Points on the map: inside the province, distances, boxes around a point.

The province's outline is not loaded yet (the GIS module will bring boundaries): a point is
"inside the province" when it lies in ``CQS_FEEDBACK_BOUNDS``, a box set per deployment. The
default box contains Phú Thọ as merged on 1/7/2025 (old Phú Thọ, Vĩnh Phúc and Hòa Bình); it is
approximate and marked so in docs/feedback.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    @property
    def center(self) -> tuple[float, float]:
        return (self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2


def parse_box(text: str) -> Box:
    """``"min_lon,min_lat,max_lon,max_lat"`` (the Open311 and OGC order) → ``Box``; ValueError if bad."""
    parts = [float(p) for p in str(text).split(",")]
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ValueError("a box is four numbers: min_lon,min_lat,max_lon,max_lat")
    box = Box(*parts)
    if not (-180 <= box.min_lon <= box.max_lon <= 180 and -90 <= box.min_lat <= box.max_lat <= 90):
        raise ValueError("box out of range or inverted")
    return box


def province_box() -> Box:
    return parse_box(settings.CQS_FEEDBACK_BOUNDS)


def inside_province(lat: float, lon: float) -> bool:
    return province_box().contains(lat, lon)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def box_around(lat: float, lon: float, radius_m: float) -> Box:
    """A box that contains every point within ``radius_m`` of (lat, lon) (for an index prefilter)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    return Box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)

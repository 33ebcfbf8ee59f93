"""Grid carbon intensity (offline table) and the avoided-footprint scenarios."""

from __future__ import annotations

from dataclasses import dataclass

INTENSITY_SOURCE = "Our World in Data / Ember, carbon intensity of electricity generation"
INTENSITY_YEAR = 2023
# gCO2e per kWh.
GRID_INTENSITY = {
    "UK": 237.6, "FR": 56.0, "GR": 337.0, "PL": 662.0, "BE": 138.0, "AU": 549.0, "BR": 98.0,
    "WORLD": 475.0,
}
COUNTRY_NAMES = {"UK": "United Kingdom", "FR": "France", "GR": "Greece", "PL": "Poland",
                 "BE": "Belgium", "AU": "Australia", "BR": "Brazil", "WORLD": "world average"}


@dataclass(frozen=True)
class Scenario:
    """What one avoided contrast CT saves, with its source."""

    key: str
    kg_co2e: float
    description: str
    source: str


SCENARIOS = {
    "contrast-increment": Scenario(
        "contrast-increment", 3.5,
        "the contrast increment of one CT (contrast-enhanced ~50% above a ~7 kg native CT)",
        "ECR 2025 poster (conservative default)"),
    "whole-ct": Scenario(
        "whole-ct", 9.2, "one whole contrast CT",
        "McAlister et al. 2022, Lancet Regional Health Western Pacific; NetZeroAICT"),
}


def intensity(country: str | None = None, override: float | None = None) -> dict:
    """Grid intensity to use, with where the number came from."""
    if override is not None:
        return {"g_per_kwh": float(override), "country": country or "user",
                "source": "user override", "year": None}
    key = (country or "WORLD").upper()
    if key not in GRID_INTENSITY:
        raise ValueError(f"no grid intensity for {country!r}; known: "
                         + ", ".join(sorted(GRID_INTENSITY)) + " (or give a value)")
    return {"g_per_kwh": GRID_INTENSITY[key], "country": COUNTRY_NAMES[key],
            "source": INTENSITY_SOURCE, "year": INTENSITY_YEAR}

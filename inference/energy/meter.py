"""Measure a run: energy by component (measured or estimated, and how), then carbon."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

from inference.energy.carbon import SCENARIOS, intensity
from inference.energy.nvml import NvmlReader
from inference.energy.rapl import RaplReader

CPU_WATTS_PER_THREAD = 4.0  # CodeCarbon's fallback for unknown CPUs (-60%..+190% of RAPL)
RAM_WATTS_PER_GB = 0.3725  # Green Algorithms methodology
J_PER_KWH = 3.6e6


@dataclass
class Component:
    """Energy of one part of the machine."""

    component: str
    joules: float
    status: str  # "measured" or "estimated"
    method: str

    def as_dict(self) -> dict:
        """JSON-friendly."""
        return {"component": self.component, "joules": round(self.joules, 3),
                "kwh": self.joules / J_PER_KWH, "status": self.status, "method": self.method}


@dataclass
class EnergyReport:
    """Energy, carbon and the avoided footprint of one run."""

    seconds: float
    provider: str
    components: list[Component]
    grid: dict
    scenario: str = "contrast-increment"
    notes: list[str] = field(default_factory=list)

    @property
    def joules(self) -> float:
        """Total energy."""
        return sum(c.joules for c in self.components)

    @property
    def grams_co2e(self) -> float:
        """Operational emissions of the run."""
        return self.joules / J_PER_KWH * self.grid["g_per_kwh"]

    def as_dict(self) -> dict:
        """The report section written to JSON and shown in the viewer."""
        sc = SCENARIOS[self.scenario]
        avoided_g = sc.kg_co2e * 1000
        return {
            "duration_s": round(self.seconds, 3), "provider": self.provider,
            "components": [c.as_dict() for c in self.components],
            "total_joules": round(self.joules, 3), "total_kwh": self.joules / J_PER_KWH,
            "grid_intensity": self.grid, "operational_g_co2e": self.grams_co2e,
            "avoided": {"scenario": sc.key, "description": sc.description,
                        "kg_co2e_per_avoided_contrast_ct": sc.kg_co2e, "source": sc.source,
                        "ratio_avoided_to_operational": (avoided_g / self.grams_co2e
                                                         if self.grams_co2e else None)},
            "notes": self.notes,
        }

    def summary(self) -> str:
        """One line for the status bar or the terminal."""
        kinds = sorted({c.status for c in self.components})
        return (f"{self.joules / 3600:.2f} Wh ({'/'.join(kinds)}), "
                f"{self.grams_co2e:.2f} g CO2e at {self.grid['g_per_kwh']:.0f} g/kWh; "
                f"avoiding one contrast CT saves ~{SCENARIOS[self.scenario].kg_co2e:g} kg")


class EnergyMeter:
    """``start()`` before a run, ``stop(provider)`` after; readers are injectable for tests."""

    def __init__(self, rapl: RaplReader | None = None, nvml: NvmlReader | None = None,
                 country: str | None = None, intensity_override: float | None = None,
                 scenario: str = "contrast-increment") -> None:
        self.rapl = rapl if rapl is not None else RaplReader()
        self.nvml = nvml
        self.grid = intensity(country, intensity_override)
        self.scenario = scenario

    def start(self) -> None:
        """Take the 'before' readings."""
        if self.nvml is None:
            self.nvml = NvmlReader()
        self._t0 = time.perf_counter()
        self._cpu0 = self._cpu_seconds()
        self._rapl0 = self.rapl.read() if self.rapl.available else None
        self._nvml0 = self.nvml.read() if self.nvml.available else None

    @staticmethod
    def _cpu_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    @staticmethod
    def _rss_gb() -> float:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmRSS"):
                        return int(line.split()[1]) / 2**20
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    def stop(self, provider: str) -> EnergyReport:
        """Take the 'after' readings and build the report."""
        seconds = time.perf_counter() - self._t0
        components = []
        if self._rapl0 is not None:
            joules = self.rapl.joules_between(self._rapl0, self.rapl.read())
            components.append(Component("cpu", joules, "measured",
                                        "RAPL package counters (whole CPU package, all "
                                        "processes)"))
        else:
            cpu_s = self._cpu_seconds() - self._cpu0
            components.append(Component(
                "cpu", cpu_s * CPU_WATTS_PER_THREAD, "estimated",
                f"process CPU time {cpu_s:.1f} s x {CPU_WATTS_PER_THREAD:g} W per thread "
                "(CodeCarbon fallback; uncertainty -60%..+190%)"))
        if self._nvml0 is not None:
            joules = self.nvml.joules_between(self._nvml0, self.nvml.read())
            components.append(Component("gpu", joules, "measured",
                                        "NVML total energy counter (whole board, all "
                                        "processes)"))
        elif "CUDA" in provider:
            components.append(Component("gpu", 0.0, "estimated",
                                        "no NVML energy counter available: GPU not counted"))
        gb = self._rss_gb()
        components.append(Component("ram", gb * RAM_WATTS_PER_GB * seconds, "estimated",
                                    f"{gb:.2f} GB resident x {RAM_WATTS_PER_GB} W/GB "
                                    "(Green Algorithms)"))
        return EnergyReport(seconds, provider, components, self.grid, self.scenario,
                            notes=[f"{os.cpu_count()} logical CPUs"])

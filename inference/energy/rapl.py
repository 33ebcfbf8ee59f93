"""CPU package energy from the Linux powercap RAPL counters (Intel, recent AMD)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_ROOT = Path("/sys/class/powercap")


class RaplReader:
    """Reads the package-level energy counters (microjoules) under a powercap tree."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.domains: dict[str, Path] = {}
        self.max_range: dict[str, int] = {}
        if not root.exists():
            return
        for d in sorted(root.glob("intel-rapl:*")):
            # Top-level packages only (intel-rapl:0), not sub-zones (intel-rapl:0:0).
            if d.name.count(":") != 1:
                continue
            energy, max_range = d / "energy_uj", d / "max_energy_range_uj"
            try:
                energy.read_text()
                limit = int(max_range.read_text())
            except (OSError, ValueError):
                continue  # often root-only, or absent in VMs
            name = (d / "name").read_text().strip() if (d / "name").exists() else d.name
            self.domains[f"{d.name}:{name}"] = energy
            self.max_range[f"{d.name}:{name}"] = limit

    @property
    def available(self) -> bool:
        """True when at least one readable package counter exists."""
        return bool(self.domains)

    def read(self) -> dict[str, int]:
        """Current counter values (microjoules) per package."""
        return {k: int(p.read_text()) for k, p in self.domains.items()}

    def joules_between(self, before: dict[str, int], after: dict[str, int]) -> float:
        """Energy used between two readings, handling counter wrap-around."""
        total = 0
        for key, b in before.items():
            a = after[key]
            total += a - b if a >= b else a + self.max_range[key] - b
        return total / 1e6

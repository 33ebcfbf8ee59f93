"""GPU board energy through NVML (nvidia-ml-py), when a GPU and the library are present."""

from __future__ import annotations

from types import ModuleType


def load_nvml() -> ModuleType | None:
    """The pynvml module, initialised, or None when NVML is not usable here."""
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        return pynvml
    except Exception:
        return None


class NvmlReader:
    """Total-energy counters (mJ, Volta and newer) of every GPU; ``nvml`` is injectable."""

    def __init__(self, nvml: ModuleType | None = None) -> None:
        self.nvml = nvml if nvml is not None else load_nvml()
        self.handles = []
        self.names: list[str] = []
        if self.nvml is None:
            return
        try:
            for i in range(self.nvml.nvmlDeviceGetCount()):
                handle = self.nvml.nvmlDeviceGetHandleByIndex(i)
                self.nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
                self.handles.append(handle)
                name = self.nvml.nvmlDeviceGetName(handle)
                self.names.append(name.decode() if isinstance(name, bytes) else str(name))
        except Exception:
            self.handles = []

    @property
    def available(self) -> bool:
        """True when energy counters can be read."""
        return bool(self.handles)

    def read(self) -> list[int]:
        """Counter per GPU, millijoules."""
        return [int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self.handles]

    @staticmethod
    def joules_between(before: list[int], after: list[int]) -> float:
        """Energy used between two readings."""
        return sum(a - b for a, b in zip(after, before, strict=True)) / 1000.0

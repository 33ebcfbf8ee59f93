"""Energy accounting with a fake RAPL sysfs tree and a fake NVML library."""

import types

import pytest

from inference.energy.carbon import intensity
from inference.energy.meter import EnergyMeter
from inference.energy.nvml import NvmlReader
from inference.energy.rapl import RaplReader


def fake_rapl(root, energy_uj: int, max_uj: int = 262_143_328_850):
    zone = root / "intel-rapl:0"
    zone.mkdir(parents=True, exist_ok=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    sub = root / "intel-rapl:0:0"  # a sub-zone (core): must not be counted twice
    sub.mkdir(exist_ok=True)
    (sub / "energy_uj").write_text("5\n")
    (sub / "max_energy_range_uj").write_text("10\n")
    return zone


def test_rapl_delta_and_wraparound(tmp_path):
    zone = fake_rapl(tmp_path, 1_000_000, max_uj=10_000_000)
    reader = RaplReader(tmp_path)
    assert reader.available and list(reader.domains) == ["intel-rapl:0:package-0"]
    before = reader.read()
    (zone / "energy_uj").write_text("3500000\n")
    assert reader.joules_between(before, reader.read()) == pytest.approx(2.5)
    before = {k: 9_000_000 for k in before}
    (zone / "energy_uj").write_text("500000\n")  # wrapped past 10 J
    assert reader.joules_between(before, reader.read()) == pytest.approx(1.5)


def test_missing_rapl_means_estimated(tmp_path):
    meter = EnergyMeter(rapl=RaplReader(tmp_path / "none"), nvml=NvmlReader(
        types.SimpleNamespace()), country="FR")
    meter.start()
    sum(i * i for i in range(200_000))
    report = meter.stop("CPUExecutionProvider")
    cpu = report.components[0]
    assert cpu.status == "estimated" and "W per thread" in cpu.method
    assert report.grid["g_per_kwh"] == 56.0 and report.grid["year"] == 2023
    assert report.as_dict()["avoided"]["kg_co2e_per_avoided_contrast_ct"] == 3.5


def test_measured_cpu_and_gpu(tmp_path):
    zone = fake_rapl(tmp_path, 0)
    counters = {"value": 1_000}

    class FakeNvml:
        @staticmethod
        def nvmlDeviceGetCount():
            return 1

        @staticmethod
        def nvmlDeviceGetHandleByIndex(i):
            return i

        @staticmethod
        def nvmlDeviceGetTotalEnergyConsumption(handle):
            return counters["value"]

        @staticmethod
        def nvmlDeviceGetName(handle):
            return b"Fake GPU"

    nvml = NvmlReader(FakeNvml)
    assert nvml.available and nvml.names == ["Fake GPU"]
    meter = EnergyMeter(rapl=RaplReader(tmp_path), nvml=nvml, intensity_override=100.0)
    meter.start()
    (zone / "energy_uj").write_text("36000000\n")  # 36 J on the CPU package
    counters["value"] = 1_000 + 324_000  # 324 J on the GPU (mJ counter)
    report = meter.stop("CUDAExecutionProvider")
    by = {c.component: c for c in report.components}
    assert by["cpu"].status == by["gpu"].status == "measured"
    assert by["cpu"].joules == pytest.approx(36.0) and by["gpu"].joules == pytest.approx(324.0)
    # 360 J (+ a little estimated RAM) = 0.1 Wh; at 100 g/kWh that is about 0.01 g.
    assert report.grams_co2e == pytest.approx(360 / 3.6e6 * 100, rel=0.05)
    d = report.as_dict()
    assert d["avoided"]["ratio_avoided_to_operational"] > 1e5


def test_unknown_country_is_a_clear_error():
    with pytest.raises(ValueError, match="no grid intensity for 'XX'"):
        intensity("XX")

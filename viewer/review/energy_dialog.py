"""The energy and carbon report of the last synthesis run, as a readable dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from inference.energy.meter import J_PER_KWH, EnergyReport
from inference.synthesis.session import provider_name

COMPONENT_NAMES = {"cpu": "Processor (CPU)", "gpu": "Graphics card (GPU)", "ram": "Memory (RAM)"}


def _energy(joules: float) -> str:
    return f"{joules:.1f} J ({joules / J_PER_KWH * 1000:.3f} Wh)"


def energy_html(report: EnergyReport) -> str:
    """The report as HTML: components and their total, operational CO2e and the avoided
    contrast CT."""
    d = report.as_dict()
    rows = "".join(
        f"<tr><td>{COMPONENT_NAMES.get(c['component'], c['component'])}</td>"
        f"<td nowrap>{_energy(c['joules'])}</td><td>{c['status']}</td>"
        f"<td>{c['method']}</td></tr>" for c in d["components"])
    rows += (f"<tr><td><b>Total</b></td><td nowrap><b>{_energy(report.joules)}</b></td>"
             "<td></td><td></td></tr>")
    grid = d["grid_intensity"]
    avoided = d["avoided"]
    year = f", {grid['year']}" if grid["year"] else ""
    return (f"<p>Run: {report.seconds:.1f} s on {provider_name(report.provider)}</p>"
            "<table><tr><th align=left>Component</th><th align=left>Energy</th>"
            "<th align=left>Status</th><th align=left>Method</th></tr>"
            f"{rows}</table>"
            f"<p>Operational: {d['operational_g_co2e']:.3f} g CO2e at "
            f"{grid['g_per_kwh']:.0f} g/kWh ({grid['country']}, {grid['source']}{year})</p>"
            f"<p>Avoided if this replaces {avoided['description']}: "
            f"{avoided['kg_co2e_per_avoided_contrast_ct']:g} kg CO2e "
            f"({avoided['source']}).</p>")


def show_energy_report(parent: QWidget, report: EnergyReport) -> QMessageBox:
    """Open the report (non-blocking) and return the dialog."""
    box = QMessageBox(QMessageBox.Icon.Information, "Energy and carbon of the last run",
                      energy_html(report), QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 640px; }")  # methods read in full
    box.open()
    return box

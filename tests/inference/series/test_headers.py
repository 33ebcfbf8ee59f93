"""Kind and phase from header values: floors on labelled real series (the IDC index), and
the languages, vendor habits and traps real descriptions hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from inference.series.classify import classify
from inference.series.facts import SeriesFacts, facts_from_row
from inference.series.model import Kind, Phase
from inference.series.scoring import Labelled, score, table

DATA = Path(__file__).parents[2] / "data" / "series"


def _scored(name: str) -> dict:
    items = []
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            c = classify(facts_from_row(row))
            items.append(Labelled(Kind(row["truth_kind"]) if row["truth_kind"] else None,
                                  Phase(row["truth_phase"]), c.kind, c.phase))
    figures = score(items)
    print(table(figures))
    return figures


@pytest.mark.parametrize("name", ["idc_ct_heldout.csv", "idc_ct_sample.csv"])
def test_header_floors_on_labelled_idc_series(name):
    f = _scored(name)
    assert f["phase_labelled"] >= 190 and f["contrast_series"] >= 140
    assert f["non_contrast_precision"] >= 0.95
    # At most one contrast series in three hundred called non-contrast.
    assert f["contrast_called_non_contrast"] <= max(1, f["contrast_series"] // 300)
    assert f["non_contrast_recall"] >= 0.85
    assert f["named_phase_accuracy"] >= 0.85
    assert f["contrast_recall"] >= 0.85
    assert f["localizer_recall"] >= 0.9
    assert f["volumes_called_other_kind"] <= 0.03


def _call(series: str, study: str = "", count: int = 120, **more) -> tuple[str, str]:
    c = classify(SeriesFacts(modality="CT", series_description=series,
                             study_description=study, instance_count=count, **more))
    return c.kind.value, c.phase.value


@pytest.mark.parametrize("series,study,phase", [
    # Polish, German, French, Portuguese, Spanish, Italian, Dutch, Greek
    ("Faza tętnicza", "", "arterial"), ("Faza żylna", "", "portal-venous"),
    ("Opóźnione 5 min", "", "delayed"), ("Jama brzuszna natywna", "", "non-contrast"),
    ("Abdomen nativ 5.0 B30f", "", "non-contrast"), ("Arterielle Phase", "", "arterial"),
    ("Portalvenös", "", "portal-venous"), ("Spätphase", "", "delayed"),
    ("Phase retard", "", "delayed"), ("TDM abdo sans injection", "", "non-contrast"),
    ("Abdome sem contraste", "", "non-contrast"), ("Abdome com contraste", "", "contrast"),
    ("Sin contraste", "", "non-contrast"), ("Fase venosa", "", "portal-venous"),
    ("Tardía", "", "delayed"), ("Fase arteriosa", "", "arterial"),
    ("TC senza mdc", "", "non-contrast"), ("Tardiva", "", "delayed"),
    ("Arterieel", "", "arterial"), ("Portaal veneus", "", "portal-venous"),
    ("Zonder contrast", "", "non-contrast"), ("Αρτηριακή φάση", "", "arterial"),
    ("Φλεβική φάση", "", "portal-venous"), ("Χωρίς σκιαγραφικό", "", "non-contrast"),
    ("Καθυστερημένη", "", "delayed"),
    # Vendor habits: Siemens I+/I-, GE C+/C-, study-level W/WO
    ("Abdomen I+ 5.0 B30f", "", "contrast"), ("Abdomen I- 5.0 B30f", "", "non-contrast"),
    ("C+ ABD/PEL", "", "contrast"), ("C- ABD/PEL", "", "non-contrast"),
    ("Axial 5mm", "CT ABDOMEN W CONTRAST", "contrast"),
    ("Axial 5mm", "CT CHEST WO CONTRAST", "non-contrast"),
    ("Nephrographic phase", "", "portal-venous"), ("Excretory 10 min", "", "delayed"),
    # Traps: with-and-without studies, biopsy PRE/POST, chest-abdomen-pelvis, oral contrast
    ("Axial 5mm", "CT ABD W/WO", "unknown"), ("sem/com contraste", "", "unknown"),
    ("Pre Procedure", "CT BIOPSY LIVER", "unknown"), ("Post biopsy", "CT BIOPSY LIVER", "unknown"),
    ("C-A-P 5mm", "", "unknown"), ("Abdomen with oral contrast", "", "unknown"),
    ("Abdomen oral and iv contrast", "", "contrast"),
    # A series named enhanced inside a protocol named native: the series says what it is.
    ("Thorax Contr 1.0 B31f", "Thorax^ThoraxNative", "contrast"),
    ("Chest routine", "CT CHEST", "unknown"),
])
def test_phase_words(series, study, phase):
    assert _call(series, study)[1] == phase


def test_unknown_stays_unknown_and_no_enhanced_word_becomes_plain():
    for text in ("Axial 5mm", "Body 1.0 B30f", "Recon 2", "Series 3", "Thorax"):
        assert _call(text)[1] == "unknown"
    for text in ("Arterial", "Venous", "Delayed", "CE", "Angio", "CTA", "Contrast"):
        assert _call(text)[1] in ("arterial", "portal-venous", "delayed", "contrast")


@pytest.mark.parametrize("series,count,more,kind", [
    ("Topogram 0.6 T20s", 1, {}, "localizer"),
    ("Scout", 2, {}, "localizer"),
    ("Smart Prep", 12, {}, "bolus-tracking"),
    ("CARE Bolus", 15, {}, "bolus-tracking"),
    ("Dose Report", 1, {}, "dose-report"),
    ("Patient Protocol", 1, {}, "dose-report"),
    ("VIRTUAL NONCONTRAST", 300, {}, "virtual-non-contrast"),
    ("MIP 10mm", 40, {}, "reformat"),
    ("Abdomen 5.0", 80, {"image_type": ("DERIVED", "SECONDARY", "MPR")}, "reformat"),
    ("Abdomen 5.0", 80, {"axial": False}, "reformat"),
    ("Abdomen 5.0", 80, {"sop_class_uid": "1.2.840.10008.5.1.4.1.1.7"}, "derived"),
    ("Abdomen 5.0", 1, {"sop_class_uid": "1.2.840.10008.5.1.4.1.1.88.67"}, "dose-report"),
    ("Abdomen 5.0", 200, {"image_type": ("ORIGINAL", "PRIMARY", "AXIAL")}, "volume"),
])
def test_kinds(series, count, more, kind):
    assert _call(series, count=count, **more)[0] == kind


def test_a_virtual_non_contrast_is_never_plain_input():
    c = classify(SeriesFacts(modality="CT", series_description="VNC 1.0 Q30f",
                             instance_count=300))
    assert c.kind is Kind.VIRTUAL_NON_CONTRAST and not c.usable_as_input


def test_a_contrast_bolus_attribute_outweighs_a_plain_description():
    c = classify(SeriesFacts(modality="CT", series_description="Abdomen nativ",
                             contrast_agent="Omnipaque 350", contrast_route="IV",
                             instance_count=200))
    assert c.phase is not Phase.NON_CONTRAST and not c.usable_as_input
    assert any(e.source == "ContrastBolusAgent" for e in c.evidence)


def test_evidence_names_the_header_it_came_from():
    c = classify(SeriesFacts(modality="CT", series_description="Faza tętnicza",
                             body_part="ABDOMEN", instance_count=200))
    assert c.phase is Phase.ARTERIAL and c.region == "ABDOMEN"
    assert "SeriesDescription" in c.why()
    as_json = c.as_dict()
    assert as_json["phase"] == "arterial" and as_json["evidence"][0]["source"]

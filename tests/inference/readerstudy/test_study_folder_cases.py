"""A protocol may name one study folder for a case's non-contrast and real scans: `init`
picks the series for each role and records why."""

from __future__ import annotations

import json
from dataclasses import replace

from inference.readerstudy.prepare import prepare_study
from inference.readerstudy.protocol import load_protocol
from tests.support.studies import write_protocol


def test_one_study_folder_for_both_scans(tmp_path, small_case):
    path = write_protocol(tmp_path, small_case, n_cases=2)
    text = path.read_text().replace(f'"{small_case.noncontrast}"', f'"{small_case.root}"')
    path.write_text(text.replace(f'"{small_case.contrast}"', f'"{small_case.root}"'))
    protocol = load_protocol(path)
    assert protocol.cases[0].noncontrast == protocol.cases[0].real == small_case.root
    prepare_study(replace(protocol, cases=protocol.cases[:1]), tmp_path / "prepared",
                  log=lambda _m: None)
    info = json.loads((tmp_path / "prepared" / "case-1" / "prepared.json").read_text())
    assert info["noncontrast_choice"].startswith("input: #2 'Abdomen non-contrast (PHANTOM)'")
    assert info["real_choice"].startswith("compare with: #3 'Abdomen arterial phase (PHANTOM)'")
    assert info["real_registration"]["surface_distance_mm"] < 3.0

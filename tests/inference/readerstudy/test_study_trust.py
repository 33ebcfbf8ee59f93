"""Study preparation refuses a case whose synthetic fails a trust check, unless the protocol
gives the coordinator's reason (recorded, in the protocol hash); readers never see a verdict."""

from __future__ import annotations

import json

from inference.cli import main
from inference.readerstudy.prepare import load_layer
from inference.readerstudy.protocol import load_protocol
from tests.support.onnx_models import demo_like_card, enhance_above_model
from tests.support.studies import write_protocol

REASON = "included on purpose: tests whether readers notice enhancement in fat"


def test_a_failed_synthetic_is_refused_unless_the_coordinator_says_why(tmp_path, small_case,
                                                                       capsys):
    card = demo_like_card(enhance_above_model(tmp_path / "all.onnx"), "enhance-everything")
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(tmp_path / "bad"),
                 "--model", str(card)]) == 0
    bad = tmp_path / "bad" / "synthetic_digital_contrast.nii.gz"
    protocol = write_protocol(tmp_path, small_case, n_cases=2)
    text = protocol.read_text().replace(
        'id = "case-1"\n', f'id = "case-1"\nsynthetic = "{bad}"\n', 1)
    protocol.write_text(text)
    folder = tmp_path / "study"
    capsys.readouterr()
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "case-1: its synthetic failed trust checks" in err and "unchanged: fat" in err
    assert "trust_overrides" in err
    assert not (folder / "prepared" / "case-1" / "prepared.json").exists()

    # A reason for a case the study does not have is a protocol error, not silently ignored.
    protocol.write_text(text + '\n[trust_overrides]\ncase-9 = "a reason for nobody at all"\n')
    assert main(["study", "init", str(protocol), "--dir", str(tmp_path / "other")]) == 2
    assert "'case-9' is not a case of this study" in capsys.readouterr().err

    protocol.write_text(text + f'\n[trust_overrides]\ncase-1 = "{REASON}"\n')
    assert load_protocol(protocol).trust_overrides == {"case-1": REASON}
    assert main(["study", "init", str(protocol), "--dir", str(tmp_path / "study2")]) == 0
    prepared = tmp_path / "study2" / "prepared"
    one = json.loads((prepared / "case-1" / "prepared.json").read_text())
    assert one["trust"]["verdict"] == "real contrast recommended"
    assert one["trust"]["override"] == REASON and "unchanged: fat" in one["trust"]["failed"]
    assert one["trust"]["source"] == "recorded with the synthetic"
    two = json.loads((prepared / "case-2" / "prepared.json").read_text())
    assert two["trust"]["verdict"] == "consistent" and "override" not in two["trust"]
    # What readers are shown carries no verdict, no provenance at all.
    for layer in ("synthetic", "synthetic_shown"):
        shown = load_layer(prepared / "case-1", layer)
        assert "trust" not in shown.provenance

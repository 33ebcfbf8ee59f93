"""The pixel half of the blinding audit (``study preview``): in an arm that shows a real or a
synthetic scan and asks which, the two variants of every case must share their grain. The
text half (no provenance cue on any surface) is the viewer's, which renders the screens."""

from __future__ import annotations

from inference.readerstudy import presentation
from inference.readerstudy.prepare import SHOWN_ALONE, load_layer


def texture_audit(store) -> tuple[list[str], dict[str, list[dict]]]:
    """(failures, per-arm figures): for each real-or-synthetic arm, each case's texture of the
    synthetic and the real variant as prepared, their ratio, and whether it lies in the band."""
    low, high = presentation.TEXTURE_BAND
    failures: list[str] = []
    figures: dict[str, list[dict]] = {}
    for arm in store.protocol.arms:
        if arm.show != "real_or_synthetic":
            continue
        rows = figures.setdefault(arm.id, [])
        for case in store.protocol.cases:
            folder = store.prepared_dir(case.id)
            nc = load_layer(folder, "noncontrast")
            where = presentation.tissue(nc)
            syn = presentation.texture(load_layer(folder, SHOWN_ALONE["synthetic"]), where)
            real = presentation.texture(load_layer(folder, SHOWN_ALONE["real"]), where)
            ratio = syn / real if real > 0 else float("inf")
            ok = low <= ratio <= high
            rows.append({"case": case.id, "synthetic": round(syn, 2), "real": round(real, 2),
                         "ratio": round(ratio, 3), "within_band": ok})
            if not ok:
                failures.append(
                    f"arm {arm.id}, case {case.id}: the synthetic and the real variant differ in "
                    f"grain (texture ratio {ratio:.2f}, allowed {low:g}-{high:g}): "
                    "interpolation blur tells them apart")
    return failures, figures

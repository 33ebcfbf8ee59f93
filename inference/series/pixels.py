"""The phase from CT numbers alone: aorta, liver, kidneys, excreted contrast, brain.

Typical values (see docs/series.md): plain blood 35-55 HU, liver 50-65; arterial aorta above
250 with the liver barely enhanced and the renal cortex far brighter than the medulla;
portal-venous aorta 130-230 with the liver above 95; delayed aorta below 150 with contrast in
the collecting systems. A plain call needs the aorta (or, in a head, the brain and its
vessels) found and unenhanced: where the landmarks are not in view the answer is unknown.
"""

from __future__ import annotations

import time

from inference.io.volume import Volume
from inference.series import landmarks, organs
from inference.series.model import Evidence, Phase, PixelReading

PLAIN_AORTA_HU = 90.0
ARTERIAL_AORTA_HU = 230.0
ENHANCED_LIVER_HU = 95.0
PLAIN_LIVER_HU = 75.0
CORTICOMEDULLARY_HU = 40.0
EXCRETED_ML = 0.3
HEAD_ENHANCED_ML = 2.0
HEAD_PLAIN_ML = 0.8
ENHANCED_ML = 3.0  # connected iodine-like volume outside bone that rules out a plain scan


def read_pixels(volume: Volume) -> PixelReading:
    """Measure the landmarks of an axial CT volume and say what phase they show."""
    start = time.perf_counter()
    if volume.shape[0] < 3 or not landmarks.axial(volume):
        return PixelReading(Phase.UNKNOWN, 0.0, (Evidence(
            "pixels", "not an axial volume", "note: the landmarks read axial volumes only"),))
    w = landmarks.prepare(volume)
    m: dict = {}
    ev: list[Evidence] = []
    head = organs.find_head(w)
    spine = landmarks.find_spine(w)
    m["spine_slices"] = spine.found
    aorta = landmarks.find_aorta(w, spine) if spine.found >= 3 else None
    if aorta is None and head is not None:
        m.update(brain_hu=round(head.brain_hu, 1), head_enhanced_ml=round(head.enhanced_ml, 2),
                 head_slices=head.slices)
        phase, confidence, ev = _head_phase(head)
        return _done(phase, confidence, ev, m, "HEAD", start)
    liver = organs.find_liver(w, spine) if spine.found >= 2 else None
    kidneys = organs.find_kidneys(w, spine) if spine.found >= 2 else None
    if liver is None and aorta is None:
        organ = organs.find_parenchyma(w)
        if organ is not None:  # a crop without the spine: its largest organ stands in
            liver = organs.Liver(organ.hu, 0)
            m.update(parenchyma_ml=round(organ.ml))
    if aorta:
        m.update(aorta_hu=round(aorta.hu, 1), aorta_slices=aorta.slices,
                 aorta_radius_mm=round(aorta.radius_mm, 1))
        ev.append(Evidence("pixels: aorta", f"{aorta.hu:.0f} HU over {aorta.slices} slices",
                           "measurement"))
    if liver:
        m.update(liver_hu=round(liver.hu, 1))
        ev.append(Evidence("pixels: liver", f"{liver.hu:.0f} HU", "measurement"))
    if kidneys:
        m.update(kidney_cortex_hu=round(kidneys.cortex_hu, 1),
                 kidney_medulla_hu=round(kidneys.medulla_hu, 1),
                 kidney_ml=round(kidneys.ml, 1), excreted_ml=round(kidneys.excreted_ml, 2))
        ev.append(Evidence("pixels: kidneys", f"cortex {kidneys.cortex_hu:.0f} HU, medulla "
                                              f"{kidneys.medulla_hu:.0f} HU", "measurement"))
    iodine_ml, _iodine_hu = landmarks.enhanced_ml(w)
    m.update(enhanced_ml=round(iodine_ml, 1))
    phase, confidence, why = _trunk_phase(aorta, liver, kidneys, iodine_ml >= ENHANCED_ML)
    ev.append(Evidence("pixels", why, f"phase={phase.value}", confidence))
    where = {name: found.where for name, found in (("aorta", aorta), ("liver", liver))
             if found is not None and found.where is not None}
    return _done(phase, confidence, ev, m, "", start, where)


def _done(phase, confidence, ev, m, region, start, where=None) -> PixelReading:
    m["seconds"] = round(time.perf_counter() - start, 3)
    return PixelReading(phase, confidence, tuple(ev), m, region, where or {})


def _head_phase(head: organs.Head) -> tuple[Phase, float, list[Evidence]]:
    said = (f"brain {head.brain_hu:.0f} HU, {head.enhanced_ml:.1f} ml enhancing inside the "
            "skull")
    if head.enhanced_ml >= HEAD_ENHANCED_ML:
        return Phase.CONTRAST, 0.75, [Evidence("pixels: head", said, "phase=contrast", 0.75)]
    if head.enhanced_ml <= HEAD_PLAIN_ML and 15.0 <= head.brain_hu <= 50.0:
        return Phase.NON_CONTRAST, 0.8, [Evidence("pixels: head", said,
                                                  "phase=non-contrast", 0.8)]
    return Phase.UNKNOWN, 0.0, [Evidence("pixels: head", said, "note: in between")]


def _trunk_phase(aorta, liver, kidneys, iodine: bool) -> tuple[Phase, float, str]:
    """The phase from the trunk's landmarks, and one line of why."""
    excreted = kidneys is not None and kidneys.excreted_ml >= EXCRETED_ML
    cmd = kidneys is not None and kidneys.cortex_hu - kidneys.medulla_hu >= CORTICOMEDULLARY_HU
    organs_enhanced = ((liver is not None and liver.hu >= ENHANCED_LIVER_HU)
                       or kidneys is not None or iodine)
    if aorta is None:
        if excreted:
            return Phase.DELAYED, 0.6, "contrast in the collecting systems"
        if liver is not None and liver.hu >= ENHANCED_LIVER_HU and not cmd:
            return Phase.PORTAL_VENOUS, 0.55, f"liver enhanced ({liver.hu:.0f} HU)"
        if organs_enhanced:
            return Phase.CONTRAST, 0.6, "enhanced organs or vessels"
        return Phase.UNKNOWN, 0.0, "no aorta in view"
    a = aorta.hu
    if a < PLAIN_AORTA_HU:
        if organs_enhanced or excreted:
            return Phase.CONTRAST, 0.4, (f"aorta {a:.0f} HU but enhanced organs or vessels "
                                         "elsewhere: the vessel found may not be the aorta")
        if liver is not None and liver.hu > PLAIN_LIVER_HU:
            return Phase.UNKNOWN, 0.0, f"aorta {a:.0f} HU, liver {liver.hu:.0f} HU"
        return Phase.NON_CONTRAST, 0.85, f"aorta {a:.0f} HU: unenhanced blood"
    if excreted:
        return Phase.DELAYED, 0.8, f"contrast excreted; aorta {a:.0f} HU"
    if a >= ARTERIAL_AORTA_HU and (cmd or liver is None or liver.hu < ENHANCED_LIVER_HU):
        return Phase.ARTERIAL, 0.8, f"aorta {a:.0f} HU, " + (
            "corticomedullary kidneys" if cmd else "liver barely enhanced")
    if 120.0 <= a < 260.0 and liver is not None and liver.hu >= ENHANCED_LIVER_HU and not cmd:
        return Phase.PORTAL_VENOUS, 0.75, f"aorta {a:.0f} HU, liver {liver.hu:.0f} HU"
    if a < 150.0 and kidneys is not None and kidneys.medulla_hu >= kidneys.cortex_hu:
        return Phase.DELAYED, 0.55, f"aorta {a:.0f} HU, medulla as bright as the cortex"
    return Phase.CONTRAST, 0.7, f"aorta {a:.0f} HU"

"""`dcreview --smoke-test`: prove an installed copy works, as IT staff and CI check it.

Checks the model's checksum against its card, runs it on a tiny phantom, renders one frame of
the real review window offscreen and prints a JSON summary. Exit 0 only if all of it worked.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback

import numpy as np


def _model_check() -> dict:
    from inference.io.volume import Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import centred_geometry, simulate_scan
    from inference.synthesis.card import default_card, file_sha256
    from inference.synthesis.engine import synthesize
    from inference.synthesis.runtime import create_session

    card = default_card()
    session = create_session(card, device="auto")  # verifies the checksum first
    # Coarse (4 mm pixels: warned about, within the hard limits) so that it runs in seconds.
    geometry = centred_geometry(96, 6, 4.0, 5.0)
    hu, _labels = simulate_scan(Anatomy.create(0), geometry, (6, 96, 96), noise_sd=0.0)
    volume = Volume(hu, geometry)
    start = time.perf_counter()
    result = synthesize(volume, session=session)
    seconds = time.perf_counter() - start
    out = result.volume.array
    if not (result.volume.synthetic and out.shape == hu.shape and np.isfinite(out).all()):
        raise RuntimeError("the model's output is not a labelled synthetic volume of the "
                           "input's shape")
    return {"model": card.name, "model_version": card.version,
            "sha256": file_sha256(card.onnx_path), "checksum_matches_card": True,
            "provider": result.provider, "providers": session.providers,
            "synthesis_seconds": round(seconds, 2),
            "domain_findings": result.domain.reasons,
            "trained_on": "synthetic phantoms" if result.volume.provenance.get(
                "synthetic_phantoms_only") else "see model card",
            "_volumes": (volume, result.volume)}


def _render_check(base, synthetic) -> dict:
    from viewer.model.layout import Role
    from viewer.review.main_window import MainWindow
    from viewer.review.settings import ephemeral_settings
    from viewer.views.application import application

    app = application()
    window = MainWindow(ephemeral_settings())
    window.resize(900, 360)
    window.show()
    app.processEvents()
    window.show_volume(base)
    window.show_volume(synthetic, role=Role.OVERLAY)
    app.processEvents()
    pixels = window.capture()
    view = window.grid.slice_views()[0]
    banner = bool(view.synthetic_label.GetVisibility())
    info = view.render_window.ReportCapabilities() or ""
    renderer = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                     if "OpenGL renderer string" in line), "unknown")
    window.close()
    if pixels.max() == 0 or pixels.std() < 1:
        raise RuntimeError("the rendered frame is blank: no working OpenGL for VTK "
                           "(under a server without display set QT_QPA_PLATFORM=offscreen and "
                           "VTK_DEFAULT_OPENGL_WINDOW=vtkOSOpenGLRenderWindow, with libosmesa6)")
    if not banner:
        raise RuntimeError("synthetic pixels were shown without the SYNTHETIC label")
    return {"qt_platform": app.platformName(), "opengl_renderer": renderer,
            "frame": {"height": int(pixels.shape[0]), "width": int(pixels.shape[1]),
                      "mean": round(float(pixels.mean()), 1)},
            "synthetic_label_shown": banner}


def run() -> int:
    """Run every check; print the JSON summary; 0 when all passed."""
    from inference import __version__
    from inference.resources import data_dir

    summary: dict = {"dcreview": __version__, "python": platform.python_version(),
                     "platform": platform.platform(), "frozen": bool(getattr(sys, "frozen",
                                                                              False)),
                     "data": str(data_dir()), "ok": False}
    step = "model"
    try:
        model = _model_check()
        base, synthetic = model.pop("_volumes")
        summary["model"] = model
        step = "render"
        summary["render"] = _render_check(base, synthetic)
        summary["ok"] = True
    except Exception as exc:  # every failure becomes a reason, never a traceback dump only
        summary["failed_step"] = step
        summary["reason"] = f"{type(exc).__name__}: {exc}"
        if os.environ.get("DCREVIEW_SMOKE_TRACEBACK"):
            summary["traceback"] = traceback.format_exc()
    print(json.dumps(summary, indent=1))
    return 0 if summary["ok"] else 1

"""Bland-Altman agreement of paired measurements (synthetic against real), and its plot: one
rule for every pair a cohort report compares (ROI means, maximum aortic diameters)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def bland_altman(synthetic: np.ndarray, real: np.ndarray) -> dict | None:
    """Bias, SD and 95 % limits of agreement of synthetic minus real (None: under 2 pairs)."""
    s, r = np.asarray(synthetic, float), np.asarray(real, float)
    if s.size < 2:
        return None
    diff = s - r
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    return {"cases": int(s.size), "bias": bias, "sd": sd,
            "limits": [bias - 1.96 * sd, bias + 1.96 * sd],
            "mean": ((s + r) / 2).tolist(), "difference": diff.tolist()}


def plot(agreement: dict, path: Path, what: str, unit: str) -> str:
    """The Bland-Altman plot of ``what`` (in ``unit``) into ``path``; returns its file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.scatter(agreement["mean"], agreement["difference"])
    bias, (lo, hi) = agreement["bias"], agreement["limits"]
    for v, style in ((bias, "-"), (lo, "--"), (hi, "--")):
        ax.axhline(v, color="k", ls=style, lw=0.8)
    ax.set_xlabel(f"mean of synthetic and real {what} ({unit})")
    ax.set_ylabel(f"synthetic - real ({unit})")
    ax.set_title(f"Bland-Altman: bias {bias:+.1f} {unit}, limits {lo:+.1f} to {hi:+.1f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name

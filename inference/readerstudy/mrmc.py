"""MRMC analysis of the reader-averaged AUC: U-statistics variance, as iMRMC computes it.

The AUC of reader r is the Mann-Whitney statistic over all (non-diseased i, diseased j) pairs
of the kernel s = 1 (diseased scored higher), 1/2 (tie), 0. The variance of the reader
average is the one-shot U-statistic estimate of Gallas (2006): eight moments M1..M8 of
products of two kernels that share (or not) the reader, the non-diseased and the diseased
case, weighted by coefficients of the design (Gallas et al. 2009, the "BDG" decomposition).
A difference of two modalities adds the cross moments of A and B kernels. Degrees of freedom
follow iMRMC: BDG (Satterthwaite on mean squares, Obuchowski 2012) and Hillis (2014), with
Student-t tests at the integer part of the df (the normal distribution from 50 df on).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from inference.readerstudy.imrmc_file import ScoreTable

ALPHA = 0.05
MIN_READERS = 3  # fewer readers cannot support a random-reader conclusion
T_LIMIT_DF = 50.0  # at and above this, iMRMC uses the normal distribution

# Rows of the moment -> BCK component map (7 components from 8 moments).
_BDG_TO_BCK = np.array([[0, 0, 0, 0, 0, 0, 1, -1], [0, 0, 0, 0, 0, 1, 0, -1],
                        [0, 0, 0, 0, 1, -1, -1, 1], [0, 0, 0, 1, 0, 0, 0, -1],
                        [0, 0, 1, -1, 0, 0, -1, 1], [0, 1, 0, -1, 0, -1, 0, 1],
                        [1, -1, -1, 1, -1, 1, 1, -1]], dtype=float)


def kernels(normal: np.ndarray, diseased: np.ndarray) -> np.ndarray:
    """Success kernels, readers x non-diseased x diseased: 1, 0.5 for a tie, 0."""
    diff = diseased[:, None, :] - normal[:, :, None]
    return (diff > 0) + 0.5 * (diff == 0)


def _pair_sums(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sums of products of two kernel matrices (N0 x N1) over case pairs that share both
    cases, the diseased case only, the non-diseased case only, and neither."""
    both = float(np.sum(x * y))
    same_j = float(np.sum(x.sum(axis=0) * y.sum(axis=0)))  # same diseased case
    same_i = float(np.sum(x.sum(axis=1) * y.sum(axis=1)))  # same non-diseased case
    total = float(x.sum() * y.sum())
    return np.array([both, same_j - both, same_i - both, total - same_j - same_i + both])


def moments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unbiased moments M1..M8 of kernels ``a`` and ``b`` (readers x N0 x N1 each).

    M1-M4 pair kernels of the same reader, M5-M8 of different readers; within each group:
    same non-diseased and diseased case, different non-diseased only, different diseased
    only, both different.
    """
    nr, n0, n1 = a.shape
    same = sum(_pair_sums(a[r], b[r]) for r in range(nr))
    every = _pair_sums(a.sum(axis=0), b.sum(axis=0))
    counts = np.array([n0 * n1, n0 * (n0 - 1) * n1, n0 * n1 * (n1 - 1),
                       n0 * (n0 - 1) * n1 * (n1 - 1)], dtype=float)
    within = same / (nr * counts)
    across = (every - same) / (nr * (nr - 1) * counts) if nr > 1 else np.zeros(4)
    return np.concatenate([within, across])


def coefficients(nr: int, n0: int, n1: int) -> np.ndarray:
    """Weights of M1..M8 in the variance of the reader-averaged AUC (fully crossed)."""
    c = 1.0 / (nr * n0 * n1)
    out = c * np.array([1, n0 - 1, n1 - 1, (n0 - 1) * (n1 - 1), nr - 1, (n0 - 1) * (nr - 1),
                        (n1 - 1) * (nr - 1), (n0 - 1) * (n1 - 1) * (nr - 1)], dtype=float)
    out[7] -= 1.0
    return out


def biased(m: np.ndarray, nr: int, n0: int, n1: int) -> np.ndarray:
    """The MLE (biased, "ideal bootstrap") moments from the unbiased ones."""
    r, a, b = float(nr), float(n0), float(n1)
    t = np.zeros((8, 8))
    t[0, 0] = 1
    t[1, :2] = (1 / a, (a - 1) / a)
    t[2, [0, 2]] = (1 / b, (b - 1) / b)
    t[3, :4] = (1 / a / b, (a - 1) / a / b, (b - 1) / a / b, (a - 1) * (b - 1) / a / b)
    t[4, [0, 4]] = (1 / r, (r - 1) / r)
    t[5, [0, 1, 4, 5]] = (1 / a / r, (a - 1) / a / r, (r - 1) / a / r,
                          (a - 1) * (r - 1) / a / r)
    t[6, [0, 2, 4, 6]] = (1 / b / r, (b - 1) / b / r, (r - 1) / b / r,
                          (b - 1) * (r - 1) / b / r)
    t[7] = np.array([1, a - 1, b - 1, (a - 1) * (b - 1), r - 1, (a - 1) * (r - 1),
                     (b - 1) * (r - 1), (a - 1) * (b - 1) * (r - 1)]) / (a * b * r)
    return t @ m


@dataclass
class Test:
    """A two-sided test of an AUC against 0.5, or of a difference against 0. Where the
    variance estimate is not positive (a small pilot whose readers all separate the cases
    perfectly, say) there is no test: p-values and intervals are None and ``why`` says so."""

    estimate: float
    variance: float
    p_normal: float | None
    ci_normal: tuple[float, float] | None
    df_bdg: float
    p_bdg: float | None
    ci_bdg: tuple[float, float] | None
    df_hillis: float
    p_hillis: float | None
    ci_hillis: tuple[float, float] | None
    why: str | None = None


def _t_test(estimate: float, null: float, variance: float, df: float
            ) -> tuple[float, tuple[float, float]]:
    se = float(np.sqrt(variance))
    t = abs(estimate - null) / se
    # iMRMC truncates the df to an integer, and uses the normal distribution from 50 on.
    dist = stats.norm() if df >= T_LIMIT_DF else stats.t(int(df))
    cutoff = float(dist.ppf(1 - ALPHA / 2))
    return 2 * float(dist.sf(t)), (estimate - se * cutoff, estimate + se * cutoff)


def _df_bdg(total: float, ms: np.ndarray, dfs: np.ndarray) -> float:
    """Satterthwaite df from the normal, diseased and reader mean squares."""
    denom = float(np.sum((ms / dfs) ** 2 / dfs))
    df = total**2 / denom if denom > 0 else float("inf")
    return max(df, float(dfs.min()), 2.0)


def _finish(estimate: float, null: float, variance: float, df_bdg: float,
            df_hillis: float) -> Test:
    if not np.isfinite(variance) or variance <= 0:
        return Test(estimate, variance, None, None, df_bdg, None, None, df_hillis, None, None,
                    f"the variance estimate is {variance:.3g} with these readers and cases "
                    "(too few, or every reader separates them perfectly): no test or interval "
                    "can be given; a larger study is needed")
    p_n, ci_n = _t_test(estimate, null, variance, float("inf"))
    p_b, ci_b = _t_test(estimate, null, variance, df_bdg)
    p_h, ci_h = _t_test(estimate, null, variance, df_hillis)
    return Test(estimate, variance, p_n, ci_n, df_bdg, p_b, ci_b, df_hillis, p_h, ci_h)


def _hillis(ms: float, extra: float, nr: int, factor: float = 1.0) -> float:
    if ms <= 0:
        return T_LIMIT_DF
    denom = ms + max(nr * extra, 0.0)
    return max((nr - 1) * factor * denom**2 / ms**2, 2.0)


def _or_cov(m: np.ndarray, n0: int, n1: int) -> float:
    """Obuchowski-Rockette covariance of two readers' AUCs from M5..M8."""
    c = np.array([1, n0 - 1, n1 - 1, (n0 - 1) * (n1 - 1)], dtype=float) / (n0 * n1)
    c[3] -= 1.0
    return float(c @ m[4:])


@dataclass
class ModalityResult:
    """One modality: per-reader AUCs and variances, the reader average and its test."""

    name: str
    reader_auc: list[float]
    reader_var: list[float]
    moments: list[float]
    moments_mle: list[float]
    test: Test


@dataclass
class DifferenceResult:
    """Modality A minus B: per-reader differences, the averaged difference and its test."""

    a: str
    b: str
    reader_diff: list[float]
    reader_var: list[float]
    cross_moments: list[float]
    test: Test


def _one_reader_coefficients(n0: int, n1: int) -> np.ndarray:
    """Weights of M1..M4 in the variance of a single reader's AUC."""
    c = coefficients(1, n0, n1)[:4].copy()
    c[3] -= 1.0
    return c


def _reader_variance(k: np.ndarray, n0: int, n1: int) -> float:
    """U-statistic variance of one reader's AUC (M1..M4 of that reader alone)."""
    return float(_one_reader_coefficients(n0, n1) @ moments(k[None], k[None])[:4])


def analyse_modality(table: ScoreTable, modality: str) -> ModalityResult:
    """Reader-averaged AUC of one modality against 0.5."""
    normal, diseased = table.split(modality)
    k = kernels(normal, diseased)
    nr, n0, n1 = k.shape
    auc = k.mean(axis=(1, 2))
    m = moments(k, k)
    mb = biased(m, nr, n0, n1)
    variance = float(coefficients(nr, n0, n1) @ m)
    bck = _BDG_TO_BCK @ mb
    df_bdg = _df_bdg(variance, bck[[0, 1, 3]], np.array([n0 - 1, n1 - 1, nr - 1], float))
    ms_r = float(np.var(auc, ddof=1))
    df_h = _hillis(ms_r, _or_cov(m, n0, n1), nr)
    test = _finish(float(auc.mean()), 0.5, variance, df_bdg, df_h)
    reader_var = [round(_reader_variance(k[r], n0, n1), 8) for r in range(nr)]
    return ModalityResult(modality, auc.tolist(), reader_var, m.tolist(), mb.tolist(), test)


def analyse_difference(table: ScoreTable, a: str, b: str) -> DifferenceResult:
    """Reader-averaged AUC of ``a`` minus ``b`` against 0."""
    ka, kb = (kernels(*table.split(x)) for x in (a, b))
    nr, n0, n1 = ka.shape
    c = coefficients(nr, n0, n1)
    maa, mbb, mab = moments(ka, ka), moments(kb, kb), moments(ka, kb)
    variance = float(c @ (maa + mbb - 2 * mab))
    bias = [_BDG_TO_BCK @ biased(x, nr, n0, n1) for x in (maa, mbb, mab)]
    ms = (bias[0] + bias[1] - 2 * bias[2])[[0, 1, 3]]
    df_bdg = _df_bdg(variance, ms, np.array([n0 - 1, n1 - 1, nr - 1], float))
    auc_a, auc_b = ka.mean(axis=(1, 2)), kb.mean(axis=(1, 2))
    both = np.stack([auc_a, auc_b], axis=1)
    resid = both - both.mean(axis=0) - both.mean(axis=1, keepdims=True) + both.mean()
    ms_tr = float(np.sum(resid**2) / (nr - 1))
    cov2 = (_or_cov(maa, n0, n1) + _or_cov(mbb, n0, n1)) / 2
    df_h = _hillis(ms_tr, cov2 - _or_cov(mab, n0, n1), nr)
    diff = auc_a - auc_b
    test = _finish(float(diff.mean()), 0.0, variance, df_bdg, df_h)
    reader_var = []
    cr = _one_reader_coefficients(n0, n1)
    for r in range(nr):
        m1 = [moments(x[None], y[None])[:4] for x, y in ((ka[r], ka[r]), (kb[r], kb[r]),
                                                        (ka[r], kb[r]))]
        reader_var.append(round(float(cr @ (m1[0] + m1[1] - 2 * m1[2])), 8))
    return DifferenceResult(a, b, diff.tolist(), reader_var, mab.tolist(), test)


def analyse(table: ScoreTable) -> dict:
    """Every modality, and the first two modalities' difference, as a JSON-ready dict."""
    out = {"readers": len(table.readers), "normal_cases": len(table.normals),
           "diseased_cases": len(table.diseased), "method": "U-statistics (Gallas 2006), "
           "BDG and Hillis degrees of freedom, as iMRMC 4",
           "modalities": [asdict(analyse_modality(table, m)) for m in table.modalities]}
    if len(table.modalities) >= 2:
        a, b = table.modalities[:2]
        out["difference"] = asdict(analyse_difference(table, a, b))
    return out


@dataclass
class SizeOption:
    """A design that reaches the target power for the effect."""

    readers: int
    normal_cases: int
    diseased_cases: int
    variance: float
    df_bdg: float
    power_bdg: float
    power_normal: float


def _power(effect: float, variance: float, df: float) -> tuple[float, float]:
    lam = effect / np.sqrt(variance)
    z = stats.norm.ppf(1 - ALPHA / 2)
    normal = float(stats.norm.cdf(lam - z) + stats.norm.cdf(-lam - z))
    if df >= T_LIMIT_DF:
        return normal, normal
    t = stats.t.ppf(1 - ALPHA / 2, int(df))
    nct = stats.nct(int(df), lam)
    return float(nct.sf(t) + nct.cdf(-t)), normal


def _pilot(table: ScoreTable) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Moments of what is sized (the first two modalities' difference, or the one modality)
    and the pilot's (readers, non-diseased, diseased)."""
    kk = [kernels(*table.split(m)) for m in table.modalities[:2]]
    if len(kk) == 2:
        m = moments(kk[0], kk[0]) + moments(kk[1], kk[1]) - 2 * moments(kk[0], kk[1])
    else:
        m = moments(kk[0], kk[0])
    return m, kk[0].shape


def reader_component(table: ScoreTable) -> float:
    """The pilot's reader variance (BCK 1/NR component) of what is sized; can be negative."""
    return float((_BDG_TO_BCK @ _pilot(table)[0])[3])


def size_study(table: ScoreTable, effect: float, power: float, max_readers: int = 30,
               max_cases: int = 2000) -> list[SizeOption]:
    """For each reader count, the fewest cases (pilot's non-diseased:diseased ratio) whose
    difference between the first two modalities (or one modality against 0.5) reaches
    ``power`` at two-sided alpha 0.05, from the pilot's moments (as iMRMC's sizing)."""
    m, (nr0, n00, n10) = _pilot(table)
    bck = _BDG_TO_BCK @ biased(m, nr0, n00, n10)  # biased() is linear: A + B - 2AB at once
    share = n00 / (n00 + n10)
    options = []
    for nr in range(MIN_READERS, max_readers + 1):
        for total in range(8, max_cases + 1, 2):
            n0 = max(2, round(total * share))
            n1 = max(2, total - n0)
            variance = float(coefficients(nr, n0, n1) @ m)
            if variance <= 0:
                continue
            df = _df_bdg(variance, bck[[0, 1, 3]], np.array([n0 - 1, n1 - 1, nr - 1], float))
            p_bdg, p_norm = _power(effect, variance, df)
            if p_bdg >= power:
                options.append(SizeOption(nr, n0, n1, variance, df, p_bdg, p_norm))
                break
    return options

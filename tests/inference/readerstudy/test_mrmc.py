"""The MRMC analysis reproduces iMRMC 4.0.3 on two reference score files to 1e-6."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference.errors import ReaderStudyError
from inference.readerstudy.imrmc_file import read_imrmc
from inference.readerstudy.mrmc import (
    analyse_difference,
    analyse_modality,
    biased,
    kernels,
    moments,
    size_study,
)

DATA = Path(__file__).parent / "data"

# iMRMC 4.0.3's statAnalysis output for the two reference files (../shared/reference/mrmc).
STAT = {
    ('small', 'DC', 'NO_MOD'): {
        'AUCA': 0.84,
        'varAUCA': 0.00232587719,
        'pValueNormal': 1.78990156e-12,
        'botCInormal': 0.745476133,
        'topCInormal': 0.934523867,
        'dfBDG': 4.76127564,
        'pValueBDG': 0.00213447209,
        'botCIBDG': 0.706099413,
        'topCIBDG': 0.973900587,
        'dfHillis': 5.12945171,
        'pValueHillis': 0.000887224222,
        'botCIHillis': 0.716027653,
        'topCIHillis': 0.963972347,
    },
    ('small', 'NC', 'NO_MOD'): {
        'AUCA': 0.754,
        'varAUCA': 0.00346665789,
        'pValueNormal': 1.60340763e-05,
        'botCInormal': 0.638600591,
        'topCInormal': 0.869399409,
        'dfBDG': 21.6823242,
        'pValueBDG': 0.000306667244,
        'botCIBDG': 0.631555807,
        'topCIBDG': 0.876444193,
        'dfHillis': 91.3307947,
        'pValueHillis': 1.60340763e-05,
        'botCIHillis': 0.638600591,
        'topCIHillis': 0.869399409,
    },
    ('small', 'DC', 'NC'): {
        'varAUCA': 0.00232587719,
        'AUCAminusAUCB': 0.086,
        'varAUCAminusAUCB': 0.00428890936,
        'pValueNormal': 0.18912153,
        'botCInormal': -0.0423575813,
        'topCInormal': 0.214357581,
        'dfBDG': 4.44060396,
        'pValueBDG': 0.259385748,
        'botCIBDG': -0.0958287383,
        'topCIBDG': 0.267828738,
        'dfHillis': 4.79703917,
        'pValueHillis': 0.259385748,
        'botCIHillis': -0.0958287383,
        'topCIHillis': 0.267828738,
    },
    ('crossed', 'DC', 'NO_MOD'): {
        'AUCA': 0.879875,
        'varAUCA': 0.000750805812,
        'pValueNormal': 0.0,
        'botCInormal': 0.826170348,
        'topCInormal': 0.933579652,
        'dfBDG': 48.5185503,
        'pValueBDG': 0.0,
        'botCIBDG': 0.824781927,
        'topCIBDG': 0.934968073,
        'dfHillis': 154.852129,
        'pValueHillis': 0.0,
        'botCIHillis': 0.826170348,
        'topCIHillis': 0.933579652,
    },
    ('crossed', 'NC', 'NO_MOD'): {
        'AUCA': 0.840375,
        'varAUCA': 0.000751364327,
        'pValueNormal': 0.0,
        'botCInormal': 0.786650377,
        'topCInormal': 0.894099623,
        'dfBDG': 45.8663568,
        'pValueBDG': 4.4408921e-16,
        'botCIBDG': 0.78516636,
        'topCIBDG': 0.89558364,
        'dfHillis': 1110.14053,
        'pValueHillis': 0.0,
        'botCIHillis': 0.786650377,
        'topCIHillis': 0.894099623,
    },
    ('crossed', 'DC', 'NC'): {
        'varAUCA': 0.000750805812,
        'AUCAminusAUCB': 0.0395,
        'varAUCAminusAUCB': 0.000579388314,
        'pValueNormal': 0.100794553,
        'botCInormal': -0.00767728636,
        'topCInormal': 0.0866772864,
        'dfBDG': 22.7327575,
        'pValueBDG': 0.115014969,
        'botCIBDG': -0.0104191334,
        'topCIBDG': 0.0894191334,
        'dfHillis': 73.7559392,
        'pValueHillis': 0.100794553,
        'botCIHillis': -0.00767728636,
        'topCIHillis': 0.0866772864,
    },
}
# Per reader: (AUC or difference, its variance).
PER_READER = {
    ('small', '1', 'DC', 'NO_MOD'): (0.797, 0.00465198),
    ('small', '2', 'DC', 'NO_MOD'): (0.807, 0.00470733),
    ('small', '3', 'DC', 'NO_MOD'): (0.916, 0.00160644),
    ('small', '1', 'NC', 'NO_MOD'): (0.799, 0.00552161),
    ('small', '2', 'NC', 'NO_MOD'): (0.727, 0.00573295),
    ('small', '3', 'NC', 'NO_MOD'): (0.736, 0.00537582),
    ('small', '1', 'DC', 'NC'): (-0.002, 0.00634611),
    ('small', '2', 'DC', 'NC'): (0.08, 0.008525),
    ('small', '3', 'DC', 'NC'): (0.18, 0.00507763),
    ('crossed', '1', 'DC', 'NO_MOD'): (0.876875, 0.00142435),
    ('crossed', '2', 'DC', 'NO_MOD'): (0.91, 0.00090408),
    ('crossed', '3', 'DC', 'NO_MOD'): (0.871875, 0.00143923),
    ('crossed', '4', 'DC', 'NO_MOD'): (0.8453125, 0.00183071),
    ('crossed', '5', 'DC', 'NO_MOD'): (0.8953125, 0.00119554),
    ('crossed', '1', 'NC', 'NO_MOD'): (0.815625, 0.00239055),
    ('crossed', '2', 'NC', 'NO_MOD'): (0.843125, 0.00177857),
    ('crossed', '3', 'NC', 'NO_MOD'): (0.851875, 0.00164125),
    ('crossed', '4', 'NC', 'NO_MOD'): (0.83875, 0.00210672),
    ('crossed', '5', 'NC', 'NO_MOD'): (0.8525, 0.00172502),
    ('crossed', '1', 'DC', 'NC'): (0.06125, 0.0029737),
    ('crossed', '2', 'DC', 'NC'): (0.066875, 0.0019396),
    ('crossed', '3', 'DC', 'NC'): (0.02, 0.00234896),
    ('crossed', '4', 'DC', 'NC'): (0.0065625, 0.00302384),
    ('crossed', '5', 'DC', 'NC'): (0.0428125, 0.00232066),
}
# BDG moments M1..M8 (Ustat comp_A / MLE comp_A / Ustat comp_product), 6 significant digits.
MOMENTS = {
    ('small', 'DC', 'NO_MOD', 'Ustat', 'comp_A'): [
        0.837333, 0.744569, 0.743895, 0.704849,
        0.724333, 0.711951, 0.714193, 0.703274],
    ('small', 'DC', 'NO_MOD', 'MLE', 'comp_A'): [
        0.837333, 0.74828, 0.748567, 0.708505,
        0.762, 0.724391, 0.725989, 0.7056],
    ('small', 'NC', 'NO_MOD', 'Ustat', 'comp_A'): [
        0.751333, 0.630347, 0.616211, 0.563999,
        0.634333, 0.608153, 0.584684, 0.565049],
    ('small', 'NC', 'NO_MOD', 'MLE', 'comp_A'): [
        0.751333, 0.635187, 0.622967, 0.569542,
        0.673333, 0.617862, 0.5991, 0.568516],
    ('small', 'DC', 'NC', 'Ustat', 'comp_product'): [
        0.662, 0.644951, 0.645939, 0.631281,
        0.659667, 0.646306, 0.644246, 0.632608],
    ('small', 'DC', 'NC', 'MLE', 'comp_product'): [
        0.662, 0.645633, 0.646742, 0.632556,
        0.660444, 0.646438, 0.645592, 0.63336],
    ('crossed', 'DC', 'NO_MOD', 'Ustat', 'comp_A'): [
        0.877437, 0.801644, 0.798038, 0.773304,
        0.803172, 0.787575, 0.784373, 0.773429],
    ('crossed', 'DC', 'NO_MOD', 'MLE', 'comp_A'): [
        0.877437, 0.803539, 0.800023, 0.774663,
        0.818025, 0.79108, 0.787879, 0.77418],
    ('crossed', 'NC', 'NO_MOD', 'Ustat', 'comp_A'): [
        0.836437, 0.740208, 0.744487, 0.704482,
        0.736891, 0.720293, 0.718834, 0.705479],
    ('crossed', 'NC', 'NO_MOD', 'MLE', 'comp_A'): [
        0.836437, 0.742614, 0.746786, 0.706411,
        0.7568, 0.725089, 0.724786, 0.70623],
    ('crossed', 'DC', 'NC', 'Ustat', 'comp_product'): [
        0.755938, 0.749555, 0.74393, 0.739104,
        0.758391, 0.750479, 0.745246, 0.738964],
    ('crossed', 'DC', 'NC', 'MLE', 'comp_product'): [
        0.755938, 0.749715, 0.74423, 0.739487,
        0.7579, 0.750484, 0.745306, 0.739425],
}

FIELDS = {"AUCA": "estimate", "AUCAminusAUCB": "estimate", "varAUCA": "variance",
          "varAUCAminusAUCB": "variance", "pValueNormal": "p_normal", "dfBDG": "df_bdg",
          "pValueBDG": "p_bdg", "dfHillis": "df_hillis", "pValueHillis": "p_hillis"}
CIS = {"botCInormal": ("ci_normal", 0), "topCInormal": ("ci_normal", 1),
       "botCIBDG": ("ci_bdg", 0), "topCIBDG": ("ci_bdg", 1),
       "botCIHillis": ("ci_hillis", 0), "topCIHillis": ("ci_hillis", 1)}


@pytest.mark.parametrize("key", sorted(STAT), ids=lambda k: "-".join(k))
def test_reader_averaged_figures_match_imrmc(key):
    name, a, b = key
    table = read_imrmc(DATA / f"{name}.imrmc")
    test = (analyse_modality(table, a) if b == "NO_MOD" else analyse_difference(table, a, b)).test
    for field, expected in STAT[key].items():
        if b != "NO_MOD" and field in ("varAUCA", "AUCA"):
            continue  # that row repeats modality A's own figures, tested on its own row
        if field in FIELDS:
            got = getattr(test, FIELDS[field])
        else:
            attr, i = CIS[field]
            got = getattr(test, attr)[i]
        assert got == pytest.approx(expected, abs=1e-6, rel=1e-6), field


@pytest.mark.parametrize("key", sorted(PER_READER), ids=lambda k: "-".join(k))
def test_per_reader_auc_and_variance_match_imrmc(key):
    name, reader, a, b = key
    table = read_imrmc(DATA / f"{name}.imrmc")
    i = table.readers.index(reader)
    if b == "NO_MOD":
        r = analyse_modality(table, a)
        got = (r.reader_auc[i], r.reader_var[i])
    else:
        r = analyse_difference(table, a, b)
        got = (r.reader_diff[i], r.reader_var[i])
    assert got == pytest.approx(PER_READER[key], abs=1e-6)


@pytest.mark.parametrize("key", sorted(MOMENTS), ids=lambda k: "-".join(k))
def test_moments_match_the_bdg_table(key):
    name, a, b, method, _comp = key
    table = read_imrmc(DATA / f"{name}.imrmc")
    if b == "NO_MOD":
        r = analyse_modality(table, a)
        got = r.moments if method == "Ustat" else r.moments_mle
    else:
        got = np.asarray(analyse_difference(table, a, b).cross_moments)
        if method == "MLE":
            got = biased(got, len(table.readers), len(table.normals), len(table.diseased))
    assert np.allclose(got, MOMENTS[key], rtol=1e-5, atol=1e-9)


def test_moments_agree_with_a_brute_force_count():
    rng = np.random.default_rng(3)
    normal, diseased = rng.integers(0, 4, (3, 4)), rng.integers(1, 5, (3, 5))
    k = kernels(normal, diseased)
    sums, counts = np.zeros(8), np.zeros(8)
    nr, n0, n1 = k.shape
    for r in range(nr):
        for s in range(nr):
            for i in range(n0):
                for i2 in range(n0):
                    for j in range(n1):
                        for j2 in range(n1):
                            idx = 4 * (r != s) + (i != i2) + 2 * (j != j2)
                            sums[idx] += k[r, i, j] * k[s, i2, j2]
                            counts[idx] += 1
    assert np.allclose(moments(k, k), sums / counts)


def test_text_ids_and_truth_word_are_read(tmp_path):
    lines = ["text ids", "NR: 3", "N0: 3", "N1: 3", "NM: 1", "BEGIN DATA:"]
    lines += [f"truth,c{i},0,{int(i >= 3)}" for i in range(6)]
    lines += [f"{r},c{i},synthCE,{(i + n) % 5}" for n, r in enumerate(("ann", "bo", "cy"))
              for i in range(6)]
    path = tmp_path / "t.imrmc"
    path.write_text("\n".join(lines) + "\n")
    table = read_imrmc(path)
    assert table.readers == ["ann", "bo", "cy"] and table.modalities == ["synthCE"]
    assert 0 <= analyse_modality(table, "synthCE").test.estimate <= 1


@pytest.mark.parametrize("body, message", [
    ("NR: 2\nBEGIN DATA:\n-1,1,0,0\n", "at least 2"),
    ("BEGIN DATA:\n-1,1,0,0\n-1,1,0,1\n", "two truth rows"),
    ("BEGIN DATA:\n1,1,A,nan\n", "not finite"),
    ("no data here\n", "BEGIN DATA"),
    ("BEGIN DATA:\n1,1,A\n", "reader,case,modality,score"),
])
def test_bad_files_give_one_readable_line(tmp_path, body, message):
    path = tmp_path / "bad.imrmc"
    path.write_text(body)
    with pytest.raises(ReaderStudyError, match=message):
        read_imrmc(path)


def test_cli_writes_json_and_sizes_a_study(tmp_path):
    out = tmp_path / "m.json"
    run = subprocess.run([sys.executable, "-m", "inference", "study", "mrmc",
                          str(DATA / "small.imrmc"), "--json", str(out)],
                         capture_output=True, text=True, check=True)
    assert "AUC DC - NC" in run.stdout
    data = json.loads(out.read_text())
    assert data["difference"]["test"]["df_bdg"] == pytest.approx(4.44060396, abs=1e-6)
    size = subprocess.run([sys.executable, "-m", "inference", "study", "size", "--pilot",
                           str(DATA / "crossed.imrmc"), "--effect", "0.05", "--power", "0.8"],
                          capture_output=True, text=True)
    assert size.returncode == 0, size.stderr
    assert "readers  non-diseased" in size.stdout


def test_sizing_needs_fewer_cases_for_a_larger_effect():
    table = read_imrmc(DATA / "crossed.imrmc")
    small, large = size_study(table, 0.05, 0.8), size_study(table, 0.10, 0.8)
    at = {o.readers: o.normal_cases + o.diseased_cases for o in small}
    assert all(o.normal_cases + o.diseased_cases <= at[o.readers] for o in large
               if o.readers in at)
    assert all(o.power_bdg >= 0.8 for o in small + large)

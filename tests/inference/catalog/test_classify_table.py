"""`dcreview catalog classify`: a header table in, the same table with kind, phase, region,
confidence and evidence columns out (CSV or Parquet, through DuckDB)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from inference.catalog.classify_table import ADDED, classify_table
from inference.cli import main

HELDOUT = Path(__file__).parents[2] / "data" / "series" / "idc_ct_heldout.csv"


def test_a_csv_table_gets_its_columns(tmp_path, capsys):
    out = tmp_path / "classified.csv"
    assert main(["catalog", "classify", str(HELDOUT), "-o", str(out)]) == 0
    assert "classified 445 series" in capsys.readouterr().out
    with open(HELDOUT, newline="") as fh:
        source = list(csv.DictReader(fh))
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(source)
    assert list(rows[0])[-len(ADDED):] == list(ADDED)
    for before, after in zip(source, rows, strict=True):  # the table's own values kept as they were
        assert all(after[k] == v for k, v in before.items())
    agree = sum(r["phase"] == r["truth_phase"] for r in rows if r["truth_phase"] != "unknown")
    assert agree / sum(r["truth_phase"] != "unknown" for r in rows) > 0.9
    art = next(r for r in rows if r["phase"] == "arterial")
    assert "phase=arterial" in art["evidence"] and float(art["phase_confidence"]) > 0.5


def test_the_idc_index_parquet_classified_into_parquet(tmp_path):
    idc = pytest.importorskip("idc_index_data")
    out = tmp_path / "idc.parquet"
    result = classify_table(idc.IDC_INDEX_PARQUET_FILEPATH, out, limit=20000)
    assert result.rows == 20000
    got = duckdb.sql(f"SELECT Modality, kind, phase FROM read_parquet('{out}')").fetchall()
    assert len(got) == 20000
    assert all(kind == "non-CT" for modality, kind, _ in got if modality not in ("CT", None))
    ct = [(k, p) for m, k, p in got if m == "CT"]
    assert ct and {"volume", "localizer"} <= {k for k, _ in ct}
    assert not [p for m, _k, p in got if m != "CT" and p != "unknown"]


def test_a_table_that_has_a_phase_column_already_is_refused(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("SeriesInstanceUID,phase\n1.2.3,arterial\n")
    with pytest.raises(Exception, match="already has a 'phase' column"):
        classify_table(table, tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_a_missing_or_unreadable_table_is_one_plain_line(tmp_path, capsys):
    assert main(["catalog", "classify", str(tmp_path / "none.csv"), "-o",
                 str(tmp_path / "o.csv")]) == 2
    assert "none.csv does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    assert main(["catalog", "classify", str(bad), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad.parquet cannot be read as a table") and err[-1] == "\n"

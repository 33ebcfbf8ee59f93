"""Catalogue whole archives from their header tables (DuckDB over CSV or Parquet)."""

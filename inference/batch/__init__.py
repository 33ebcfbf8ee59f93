"""Cohorts: batch synthesis and evaluation over many cases, on Dask (local or a cluster)."""

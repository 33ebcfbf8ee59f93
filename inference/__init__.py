"""Headless engine of dcreview: loading, volumes, synthesis, metrics. Never imports Qt or VTK."""

__version__ = "0.1.0"

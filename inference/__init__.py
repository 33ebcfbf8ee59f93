"""Headless engine of dcreview: study loading, volumes, synthesis, metrics. Never imports Qt or VTK."""

__version__ = "0.1.0"

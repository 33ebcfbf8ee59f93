"""Comparison with a real contrast scan: registration, image metrics, profiles."""

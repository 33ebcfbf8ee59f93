"""Procedural abdomen phantom: the built-in demo case and training/test material. Synthetic only."""

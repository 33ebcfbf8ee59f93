"""Training of the demo model on synthetic phantoms (needs the optional `train` extra: torch).

Nothing in the runtime imports this package.
"""

"""The review's evented state (no Qt, no VTK): series, cursor, window, overlay, provenance."""

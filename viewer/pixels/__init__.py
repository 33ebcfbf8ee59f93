"""Composing what a slice view shows (numpy only): window/level, overlay blends, colour maps."""

"""Annotations and measurements in patient coordinates (LPS mm), usable without a screen."""

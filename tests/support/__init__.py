"""Helpers shared by the tests: data makers, servers, fixtures, screen helpers."""

"""Tests of the code's structure: packages, import contracts."""

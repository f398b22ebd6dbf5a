"""Fixtures: filled by the stage that owns this real part (see tests/conftest.py)."""

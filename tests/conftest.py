"""Shared fixtures. Tests mirror the package layout: tests/<package>/test_<module>.py."""

"""Validation: Great Expectations suites and the catalogue's cross-indicator rules."""

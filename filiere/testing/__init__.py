"""Helpers for tests and benchmarks: dataset generators."""

"""Benchmarks: run with ``make bench`` (a throwaway PostgreSQL); see bench/__main__.py."""

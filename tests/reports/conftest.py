"""Fixtures of the reports tests (each helper's in its own module)."""

from tests.reports.plan_fixtures import binh, far_province, indicators  # noqa: F401

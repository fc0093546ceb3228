"""Fixtures of the programme tests."""

from tests.reports.plan_fixtures import binh  # noqa: F401

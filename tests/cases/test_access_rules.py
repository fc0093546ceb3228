"""Each clause of the visibility rules in cases/access.py has a test that fails without it."""

"""A record type that hangs off a case, plugged in with no edit in cases/, audit/ or accounts/.

Installed only for the test run (tests/settings.py): it proves that a new app gets scoping,
audit and history from the public entry points alone.
"""

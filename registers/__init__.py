"""Registers: the workbook format of a caseload, its import (and, beside it, its export)."""

"""Citizen ID validation: length, province code, century/sex digit, birth-year digits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.citizen_id import century_sex_digit, validate_citizen_id


@pytest.mark.parametrize(
    ("number", "sex", "year"),
    [
        ("001090123456", "M", 1990),
        ("001190123456", "F", 1990),
        ("079205000001", "M", 2005),
        ("096301000001", "F", 2001),
        ("0 1 0 1 9 1 0 0 0 1 2 3", "F", 1991),
        ("010191000123", None, None),
    ],
)
def test_valid_numbers(number: str, sex: str | None, year: int | None) -> None:
    assert validate_citizen_id(number, sex=sex, birth_year=year) == number.replace(" ", "")


@pytest.mark.parametrize(
    ("number", "sex", "year", "code"),
    [
        ("00109012345", None, None, "length"),
        ("0010901234567", None, None, "length"),
        ("00109012345a", None, None, "length"),
        ("003090123456", None, None, "province"),  # 003 is not a province code
        ("097090123456", None, None, "province"),
        ("001090123456", "F", None, "sex"),
        ("001190123456", "M", None, "sex"),
        ("001090123456", "M", 1991, "birth_year"),
        ("001090123456", "M", 2090, "birth_year"),  # century digit says 1900s
    ],
)
def test_invalid_numbers(number: str, sex: str | None, year: int | None, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_citizen_id(number, sex=sex, birth_year=year)
    assert raised.value.code == code


def test_century_digit() -> None:
    assert century_sex_digit(birth_year=1999, female=False) == 0
    assert century_sex_digit(birth_year=2000, female=True) == 3
    assert century_sex_digit(birth_year=2100, female=False) == 4

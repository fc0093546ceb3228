"""Normalise values before they are blind-indexed or compared after decryption."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")


def fold_text(value: str) -> str:
    """Return NFC, case-folded text with Vietnamese diacritics removed and spaces collapsed."""
    text = unicodedata.normalize("NFC", value).casefold()
    # đ has no combining form: it is a letter of its own, folded by hand.
    text = text.replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def digits(value: str) -> str:
    """Return only the digits of a value (citizen ID numbers are written with spaces)."""
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value))


def phone(value: str) -> str:
    """Return a Vietnamese phone number in national form: +84 912… and 0912… are one number."""
    number = digits(value)
    if value.strip().startswith("+84") or (number.startswith("84") and len(number) == 11):
        number = "0" + number[2:]
    return number

"""The committed translation catalogs are complete and compiled."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _po(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def _translations(catalog: polib.POFile | polib.MOFile) -> dict[str, tuple[str, ...]]:
    """msgid -> msgstr(s) of the entries msgfmt compiles (translated, not fuzzy)."""
    result: dict[str, tuple[str, ...]] = {}
    for entry in catalog:
        plural = entry.msgstr_plural
        msgstrs = tuple(plural[i] for i in sorted(plural)) if plural else (entry.msgstr,)
        if not entry.obsolete and "fuzzy" not in entry.flags and all(msgstrs):
            result[entry.msgid] = msgstrs
    return result


def test_vietnamese_catalog_is_complete() -> None:
    po = _po("vi")
    assert not po.metadata_is_fuzzy
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    for entry in po:
        if entry.obsolete:
            continue
        assert "fuzzy" not in entry.flags, entry.msgid
        msgstrs = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        assert msgstrs and all(msgstrs), f"untranslated: {entry.msgid!r}"
        for msgstr in msgstrs:
            assert set(PLACEHOLDER.findall(msgstr)) == set(PLACEHOLDER.findall(entry.msgid))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compiled_catalog_matches_po(language: str) -> None:
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    assert _translations(mo) == _translations(_po(language)), "run `manage.py compilemessages`"


def test_log_in_is_translated() -> None:
    with translation.override("vi"):
        assert translation.gettext("Log in") == "Đăng nhập"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"

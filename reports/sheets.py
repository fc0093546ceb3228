"""Names of the report's sheets: readable, at most 31 characters, none twice.

Excel refuses a sheet name longer than 31 characters, one with any of ``[]:*?/\\``, and two
names that differ only in case. A group's ``short_name`` is used when it has one; a name
still too long is cut after a whole word (never inside one, "Người sử dụng trái phép chất
ma" was the old cut); a name met twice gets " (2)", " (3)" within the limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .registry import Group

MAX = 31
FORBIDDEN = "[]:*?/\\"


def _clean(name: str) -> str:
    cleaned = "".join(" " if ch in FORBIDDEN else ch for ch in name)
    # Excel also refuses a name that begins or ends with an apostrophe.
    return " ".join(cleaned.split()).strip("'")


def shorten(name: str, size: int = MAX) -> str:
    """Return ``name`` cut after its last whole word that fits in ``size`` characters."""
    name = _clean(name)
    if len(name) <= size:
        return name or "-"
    words: list[str] = []
    for word in name.split(" "):
        if len(" ".join([*words, word])) > size:
            break
        words.append(word)
    # A first word longer than the limit (no space to cut at) is cut where it must be.
    kept = " ".join(words) if words else name[:size]
    return kept.rstrip(" ,;–-") or "-"


def unique_titles(names: Iterable[str], reserved: Sequence[str] = ()) -> list[str]:
    """Return a sheet title for each name: shortened, unique (ignoring case) among them and
    the ``reserved`` titles (the cover and definitions sheets)."""
    taken = {title.casefold() for title in reserved}
    titles: list[str] = []
    for name in names:
        title = shorten(name)
        n = 2
        while title.casefold() in taken:
            suffix = f" ({n})"
            title = shorten(name, MAX - len(suffix)) + suffix
            n += 1
        taken.add(title.casefold())
        titles.append(title)
    return titles


def group_titles(groups: Sequence[Group], reserved: Sequence[str] = ()) -> dict[str, str]:
    """Return each group's sheet title by code (its short name when it has one)."""
    names = [str(group.short_name or group.name) for group in groups]
    return dict(zip([g.code for g in groups], unique_titles(names, reserved), strict=True))

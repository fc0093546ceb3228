"""Where the public national unit lists are, and a synthetic list of the same shape.

The real lists (the 2025-03 three-tier map, the 2025-07 two-tier map and the official
old → new mapping) are public reference data kept outside the repository: their directory is
``HOA_NHAP_UNITS_DATA``, or ``../shared/data`` beside the repository when it exists. Without
them, ``synthetic_lists`` writes lists of the national shape (63 → 34 provinces, ~700
districts, 10,047 → ~3,321 communes, full and partial merges) so the benchmark and the
whole-country test still run, and say so.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
THREE_TIER = "units-2025-03.csv"
TWO_TIER = "units-2025-07.csv"
MAPPING = "units-2025-07-mapping.csv"


@dataclass(frozen=True)
class UnitLists:
    three_tier: Path
    two_tier: Path
    mapping: Path
    real: bool  # the published lists, not synthetic ones

    @property
    def origin(self) -> str:
        return "the published national lists" if self.real else "synthetic national-shaped lists"


def data_dir() -> Path | None:
    """Return the directory of the real lists, or None when they are not there."""
    named = os.environ.get("HOA_NHAP_UNITS_DATA")
    candidate = Path(named) if named else REPO.parent / "shared" / "data"
    if all((candidate / name).is_file() for name in (THREE_TIER, TWO_TIER, MAPPING)):
        return candidate
    return None


def unit_lists(scratch: Path) -> UnitLists:
    """Return the real lists if present, else synthetic ones written under ``scratch``."""
    found = data_dir()
    if found is not None:
        return UnitLists(found / THREE_TIER, found / TWO_TIER, found / MAPPING, real=True)
    return synthetic_lists(scratch)


def synthetic_lists(
    scratch: Path, *, provinces: int = 63, districts: int = 11, communes: int = 14
) -> UnitLists:
    """Write a three-tier list, a two-tier list and a mapping of the national shape.

    Old province p (1..63) has ``districts`` districts of ``communes`` communes each
    (63 × 11 × 14 = 9,702 communes, 10,458 units). The reform merges provinces in pairs
    (the odd one keeps its code), and in each old district merges communes three into one
    (the first keeps its code, as most real new communes do); the last commune of each
    district is split between the district's first two new communes (a partial merge).
    """
    scratch.mkdir(parents=True, exist_ok=True)
    old_rows: list[tuple[str, str, str, str]] = []
    new_rows: list[tuple[str, str, str, str]] = []
    mapping: list[tuple[str, str, str, str, str, str]] = []
    for p in range(1, provinces + 1):
        province = f"{p:02d}"
        old_rows.append((province, f"Tỉnh Cũ {p}", "province", ""))
        new_province = f"{p if p % 2 else p - 1:02d}"
        if new_province == province:
            new_rows.append((province, f"Tỉnh Mới {p}", "province", ""))
        mapping.append(
            (
                new_province,
                f"Tỉnh Mới {int(new_province)}",
                "province",
                province,
                f"Tỉnh Cũ {p}",
                "full",
            )
        )
        for d in range(districts):
            district = f"{p:02d}{d:02d}"
            old_rows.append((district, f"Huyện {p}-{d}", "district", province))
            codes = [f"{p:02d}{d:02d}{c:02d}" for c in range(communes)]
            for code in codes:
                old_rows.append((code, f"Xã Cũ {code}", "commune", district))
            whole, split = codes[:-1], codes[-1]
            groups = [whole[i : i + 3] for i in range(0, len(whole), 3)]
            for group in groups:
                new_rows.append((group[0], f"Xã Mới {group[0]}", "commune", new_province))
                for old in group:
                    mapping.append(
                        (group[0], f"Xã Mới {group[0]}", "commune", old, f"Xã Cũ {old}", "full")
                    )
            for group in groups[:2]:
                mapping.append(
                    (group[0], f"Xã Mới {group[0]}", "commune", split, f"Xã Cũ {split}", "partial")
                )
    paths = UnitLists(scratch / THREE_TIER, scratch / TWO_TIER, scratch / MAPPING, real=False)
    _write(paths.three_tier, ("code", "name", "level", "parent_code"), old_rows)
    _write(paths.two_tier, ("code", "name", "level", "parent_code"), new_rows)
    _write(
        paths.mapping,
        ("new_code", "new_name", "new_level", "old_code", "old_name", "kind"),
        mapping,
    )
    return paths


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)

"""A blind index field is indexed by default, and a migration records it either way."""

from __future__ import annotations

from cases.models import Person
from core.fields import BlindIndexField


def _indexed(field: BlindIndexField) -> bool:
    indexed: bool = field.deconstruct()[3]["db_index"]
    return indexed


def _rebuilt(field: BlindIndexField) -> BlindIndexField:
    _name, _path, args, kwargs = field.deconstruct()
    return BlindIndexField(*args, **kwargs)


def test_an_unindexed_blind_index_stays_unindexed_when_a_migration_rebuilds_it() -> None:
    """Without db_index=False in its migration, the field would come back indexed and
    makemigrations would never drop the single-column index a composite one replaces."""
    assert _indexed(_rebuilt(BlindIndexField(sources=("x",), db_index=False))) is False
    assert _indexed(_rebuilt(BlindIndexField(sources=("x",)))) is True


def test_a_persons_name_indexes_are_served_by_the_indexes_with_the_id() -> None:
    name_index = Person._meta.get_field("name_index")
    assert isinstance(name_index, BlindIndexField) and _indexed(name_index) is False
    fields = {index.name: index.fields for index in Person._meta.indexes}
    assert fields["person_name_by_id"] == ["name_index", "id"]
    assert fields["person_name_year_by_id"] == ["name_year_index", "id"]

"""Own the encrypted model field and the blind-index field.

An encrypted field keeps ciphertext in the instance and decrypts on attribute access, so
ciphertext is what every query, bulk write, history copy and dump carries. The row's primary
key and the field's label are bound into each ciphertext (see core.crypto).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.core import validators
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from core import crypto

_CACHE = "_plaintext_cache"


class Sealed(str):
    """Ciphertext as stored; a str subclass so Django can write it unchanged."""

    __slots__ = ()


class Revealed(str):
    """Plaintext read from an encrypted field, remembering the ciphertext it came from.

    Writing it back (``bulk_update``, a history copy of the same row) reuses that ciphertext,
    so no code path ever needs to write plaintext to the database.
    """

    sealed: Sealed
    origin: tuple[str, str]


class EncryptedAttribute(DeferredAttribute):
    """Decrypt on read, encrypt on write, and keep the plaintext only in the instance."""

    field: EncryptedTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        sealed = super().__get__(instance, cls)  # loads a deferred column
        if sealed is None:
            return ""
        cache: dict[str, Revealed] = instance.__dict__.setdefault(_CACHE, {})
        cached = cache.get(self.field.attname)
        if cached is not None and cached.sealed is sealed:
            return cached
        return self._remember(instance, self.field.decrypt_for(instance, sealed), sealed)

    def __set__(self, instance: Any, value: Any) -> None:
        data = instance.__dict__
        attname = self.field.attname
        if value is None or value == "":
            data[attname] = None
        elif isinstance(value, Sealed):
            data[attname] = value
        elif isinstance(value, Revealed) and value.origin == self.field.origin(instance):
            data[attname] = value.sealed
            data.setdefault(_CACHE, {})[attname] = value
        elif isinstance(value, str):
            cached = data.get(_CACHE, {}).get(attname)
            if cached is not None and cached == value and cached.sealed is data.get(attname):
                return  # unchanged: keep the ciphertext rather than re-encrypt
            sealed = self.field.encrypt_for(instance, value)
            data[attname] = sealed
            self._remember(instance, value, sealed)
        else:
            raise TypeError(f"{self.field.label} takes text, not {type(value).__name__}")

    def _remember(self, instance: Any, plaintext: str, sealed: Sealed) -> Revealed:
        revealed = Revealed(plaintext)
        revealed.sealed = sealed
        revealed.origin = self.field.origin(instance)
        instance.__dict__.setdefault(_CACHE, {})[self.field.attname] = revealed
        return revealed


# Plaintext limits, in characters. A field that names none holds free text (a note, a
# reason); identifiers and phones are short, names a line, addresses a few lines.
NAME_MAX = 200
IDENTIFIER_MAX = 20
PHONE_MAX = 30
ADDRESS_MAX = 500
NOTE_MAX = 4000


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column holding AES-256-GCM ciphertext bound to its row and field.

    ``max_length`` (``NOTE_MAX`` unless given) limits the plaintext: checked by
    ``full_clean`` and by the form field, so no encrypted text is unbounded.
    """

    descriptor_class = EncryptedAttribute

    def __init__(
        self, *args: Any, row_key: str = "id", max_length: int = NOTE_MAX, **kwargs: Any
    ) -> None:
        # The UUID field each ciphertext is bound to; it must be set when the instance is
        # built (a UUID default), so a value can be encrypted before the row is saved and
        # rows can be bulk-inserted. A system check (core.checks) enforces it.
        self.row_key = row_key
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["max_length"] = max_length
        super().__init__(*args, **kwargs)

    @cached_property
    def validators(self) -> list[Callable[..., Any]]:
        # TextField, unlike CharField, leaves max_length to the form; here the model checks
        # it too, so an action's full_clean refuses what a form did not see.
        return [*super().validators, validators.MaxLengthValidator(self.max_length)]

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.row_key != "id":
            kwargs["row_key"] = self.row_key
        # The limit is on the plaintext; the column holds ciphertext of any length, so the
        # schema (and the migrations) do not depend on it.
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        # The history copy of this field must keep the label and row key of the original
        # model, so the label is fixed the first time only (copies share the attribute).
        if not hasattr(self, "label_origin"):
            self.label_origin = f"{cls._meta.label_lower}.{name}"

    @property
    def label(self) -> str:
        return self.label_origin

    def row_id(self, instance: models.Model) -> str:
        # The row key keeps its name in both the model and its simple-history copy.
        value = instance.__dict__.get(self.row_key)
        if value is None:
            raise ValueError(f"{self.label}: the row needs its UUID before a value is encrypted")
        return str(value)

    def origin(self, instance: models.Model) -> tuple[str, str]:
        return (self.label, self.row_id(instance))

    def encrypt_for(self, instance: models.Model, plaintext: str) -> Sealed:
        return Sealed(crypto.encrypt(plaintext, label=self.label, row_id=self.row_id(instance)))

    def decrypt_for(self, instance: models.Model, ciphertext: str) -> str:
        return crypto.decrypt(ciphertext, label=self.label, row_id=self.row_id(instance))

    def pre_save(self, model_instance: models.Model, add: bool) -> Sealed | None:
        value: Sealed | None = model_instance.__dict__.get(self.attname)
        return value

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(value)

    def to_python(self, value: Any) -> Any:
        return value if value is None or isinstance(value, str) else str(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, Sealed):
            return str(value)
        if isinstance(value, Revealed):
            return str(value.sealed)
        raise TypeError(
            f"{self.label} is encrypted: it cannot be compared with or written as plaintext "
            "(search through its blind index)."
        )

    def value_to_string(self, obj: models.Model) -> str:
        value = obj.__dict__.get(self.attname)
        return "" if value is None else str(value)


def index_bits(expected_rows: int, *, per_bucket: int) -> int:
    """Return the blind-index width that leaves about ``per_bucket`` distinct values per
    bucket at ``expected_rows``: collisions on purpose, few candidates to decrypt."""
    return max(8, min(32, round(math.log2(max(expected_rows // per_bucket, 2)))))


class BlindIndexField(models.PositiveIntegerField):  # type: ignore[type-arg]
    """A truncated keyed hash of normalised source fields, computed on save."""

    def __init__(
        self,
        *args: Any,
        sources: tuple[str, ...] = (),
        normaliser: Callable[..., str] | None = None,
        bits: int = 16,
        **kwargs: Any,
    ) -> None:
        self.sources = sources
        self.normaliser = normaliser
        self.bits = bits
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        kwargs["bits"] = self.bits
        # Indexed unless told otherwise, so "not indexed" must be written down too.
        kwargs["db_index"] = kwargs.get("db_index", False)
        return name, path, args, kwargs

    def compute(self, *values: Any) -> int | None:
        """Return the index of already-fetched source values, or None if one is empty."""
        if any(v in (None, "") for v in values) or self.normaliser is None:
            return None
        normalised = self.normaliser(*values)
        if not normalised:
            return None
        name = f"{self.model._meta.label_lower}.{self.name}"
        return crypto.blind_index(normalised, name=name, bits=self.bits)

    def pre_save(self, model_instance: models.Model, add: bool) -> int | None:
        value = self.compute(*(getattr(model_instance, source) for source in self.sources))
        setattr(model_instance, self.attname, value)
        return value

"""Own the access-event log, its chain links and its seals: append-only, hash-chained.

An event is written with the action it records; right after it commits, the sequencer gives
it its place in the chain, a ``Link`` whose ``hash`` is an HMAC over the event's content and
the previous link's hash, so changing, deleting, inserting or reordering rows breaks the
chain where it happened (see ``audit.chain``, decision D33). PostgreSQL refuses UPDATE,
DELETE and TRUNCATE on all three tables (migrations 0002-0005).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.expressions import Func
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit row."""


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are never changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self._meta.label} rows are never deleted")


class NextEventNumber(Func):
    """The database default of ``Event.seq``: the next value of its sequence (PostgreSQL).

    On SQLite (the single-user demo) ``audit.chain.append`` numbers the event itself.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return "NULL", ()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return "nextval('audit_event_seq_seq'::regclass)", ()


class Event(AppendOnly):
    """One access event: who did what to which object, from where, and why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The event's number, in the order events were written: unique, never reused, with gaps
    # where a transaction rolled back. Its place in the chain is its ``link``.
    seq = models.BigIntegerField(
        _("number"), unique=True, editable=False, db_default=NextEventNumber()
    )
    at = models.DateTimeField(_("time"), db_index=True)
    # Plain text, no choices: each app registers its actions (audit.registry), so a new app
    # adds no migration here.
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The actor's organisation at the time, as a plain id like ``person_id``: the audit app
    # depends on no domain app.
    organisation_id = models.UUIDField(_("organisation"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # A plain UUID rather than a foreign key: the log outlives and never blocks the record.
    person_id = models.UUIDField(_("person"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # Free text a user typed may name someone, so it is encrypted like case notes.
    reason = EncryptedTextField(_("reason"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # The writing transaction's id, set by the database (trigger ``audit_event_xid``): the
    # sequencer looks for unchained events only among transactions that were still running
    # at its previous run (``Link.horizon``).
    xid = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_event_actor_at"),
            models.Index(fields=["person_id", "at"], name="audit_event_person_at"),
            models.Index(fields=["action", "at"], name="audit_event_action_at"),
            models.Index(fields=["organisation_id", "at"], name="audit_event_org_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"

    @property
    def action_label(self) -> str:
        """Return the translated label the registering app gave the action."""
        from . import registry

        return registry.label(self.action)


class Link(AppendOnly):
    """One event's place in the chain, written once by the sequencer after the event commits."""

    position = models.BigIntegerField(_("position"), primary_key=True)
    # DO_NOTHING: deleting an event is refused by the database (the append-only trigger),
    # not by Django's collector, so a deletion attempt meets the same guard however made.
    event = models.OneToOneField(
        Event, on_delete=models.DO_NOTHING, related_name="link", verbose_name=_("access event")
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # When the event was chained: ``at - event.at`` is how long it waited.
    at = models.DateTimeField(_("chained at"))
    # Every transaction with a lower id had finished when this link was written, so every
    # committed event of those is chained by now (PostgreSQL; None for migrated links).
    horizon = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("chain link")
        verbose_name_plural = _("chain links")

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


class Seal(AppendOnly):
    """The chain head at a moment, to be printed or sent elsewhere as proof."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("time"))
    seq = models.BigIntegerField(_("sequence"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq}:{self.head_hash}"

    @property
    def token(self) -> str:
        """Return the text an auditor keeps: sequence and head hash."""
        return f"{self.seq}:{self.head_hash}"

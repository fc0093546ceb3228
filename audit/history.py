"""Wire django-simple-history into the audit trail: each history row carries the request id.

Every case-data model declares ``history = HistoricalRecords(bases=[RequestIdHistory])`` so
a change can be tied to the access events of the same request. The acting user comes from
actions (``_history_user``) or simple-history's request middleware.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from . import context


class RequestIdHistory(models.Model):
    """Abstract base of every historical model: the id of the request that made the change."""

    history_request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


@receiver(pre_create_historical_record)
def stamp_request_id(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if isinstance(history_instance, RequestIdHistory):
        history_instance.history_request_id = context.current().request_id

"""The notifications app's background tasks (django.tasks, run by ``manage.py db_worker``).

A task's arguments are stored in clear in the task table: ids only, never an address, a
text or a secret.
"""

from __future__ import annotations

from django.tasks import task

from . import mail


@task()
def notification_mail(notification_ids: list[str]) -> int:
    """Send the e-mail these notifications still owe; return how many went out."""
    return mail.mail_send(notification_ids=notification_ids)

"""The daily reminder of overdue work (issue 31's daily jobs; docs/operations.md).

Once a day, each staff member responsible for open items past their due date (a planned
service, a follow-up, a goal's review: anything an app registered in ``dues``) gets one
notification saying how many there are, linking to "Việc của tôi". The count is of the
items their own scope still lets them see (``dues.due_for`` walks ``access.visible``), the
text names no one, and a second run on the same day reminds nobody twice.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.actions import record
from notifications import actions as notifications
from notifications import verbs
from notifications.models import Notification

from . import dues
from .events import CaseAction

OVERDUE_VERB = verbs.register("overdue_reminder", gettext_lazy("Overdue work"))
# At most this many items are counted per person; past it the text reads "More than 100".
COUNT_CAP = 100


def overdue_notify(*, today: datetime.date | None = None) -> int:
    """Remind each responsible, active staff member of their overdue items; return how many
    were reminded. One system event per run records the count (no one is named)."""
    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    user_model = get_user_model()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    already = set(
        Notification.objects.filter(verb=OVERDUE_VERB, created_at__gte=start).values_list(
            "recipient_id", flat=True
        )
    )
    candidates = user_model.objects.filter(
        pk__in=dues.responsible_for_overdue(today) - already,
        is_active=True,
        is_service_account=False,
        staff__isnull=False,
    ).order_by("pk")
    reminded = 0
    for user in candidates:
        items = dues.due_for(viewer=user, until=yesterday, limit=COUNT_CAP + 1)
        if not items:
            continue
        count = len(items)
        if count > COUNT_CAP:
            text = _("More than %(count)d items of your work are overdue") % {"count": COUNT_CAP}
        else:
            text = ngettext(
                "%(count)d item of your work is overdue",
                "%(count)d items of your work are overdue",
                count,
            ) % {"count": count}
        notifications.notify(
            actor=None,
            recipients=[user],
            verb=OVERDUE_VERB,
            text=text,
            url=reverse("cases:my_work"),
        )
        reminded += 1
    record(
        actor=None,
        action=CaseAction.OVERDUE_REMINDED,
        detail={"day": today.isoformat(), "reminded": reminded},
    )
    return reminded

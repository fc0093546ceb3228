"""Remove guardian's "AnonymousUser" account (settings.ANONYMOUS_USER_NAME = None, D32).

Guardian created it for its backend's checks of signed-out visitors; the backend is not
installed, so the row was only an account nobody holds, filtered out of every list. A row that
anything refers to (it never signed in, so nothing should) is kept, inactive.
"""

from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.models import ProtectedError


def remove_anonymous(apps: Any, schema_editor: Any) -> None:
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)  # noqa: N806
    rows = User.objects.filter(username="AnonymousUser", last_login__isnull=True)
    try:
        rows.delete()
    except ProtectedError:
        rows.update(is_active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_staff_labels_and_role_rejection_reason"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(remove_anonymous, migrations.RunPython.noop)]

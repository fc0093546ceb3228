"""Mark the accounts of existing API clients as service accounts (D62)."""

from django.db import migrations


def mark(apps, schema_editor):
    """Flag every API client's account, and end the reach of revoked clients' accounts."""
    ApiClient = apps.get_model("api", "ApiClient")
    User = apps.get_model("accounts", "User")
    User.objects.filter(pk__in=ApiClient.objects.values("account_id")).update(
        is_service_account=True
    )
    User.objects.filter(
        pk__in=ApiClient.objects.filter(revoked_at__isnull=False).values("account_id")
    ).update(is_active=False)


def unmark(apps, schema_editor):
    """Forget the flag (the revoked clients' accounts stay inactive: they were revoked)."""
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_service_account=True).update(is_service_account=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_is_service_account"),
        ("api", "0001_api_clients_and_sync"),
    ]

    operations = [migrations.RunPython(mark, unmark)]

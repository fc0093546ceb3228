"""The user admin: an administrator manages staff accounts but never a superuser's."""

from __future__ import annotations

from accounts.actions import totp_device_create
from accounts.models import TOTPDevice, User
from tests.conftest import World, signed_in_client


def test_an_administrator_cannot_take_over_a_superuser(world: World) -> None:
    """ASVS 8.2.x: no password or second-factor reset of a superuser by an administrator."""
    root = User.objects.create_superuser("root", password="root-passphrase-long-2026")
    totp_device_create(user=root, confirmed=True)
    client = signed_in_client(world.users["quan"])
    response = client.post(
        f"/admin/accounts/user/{root.pk}/password/",
        {"password1": "taken-over-passphrase-9", "password2": "taken-over-passphrase-9"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password("root-passphrase-long-2026")
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [str(root.pk)]},
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=root).exists()


def test_the_admin_login_page_is_the_one_login_page(world: World) -> None:
    """The admin's own login form would skip the lockout and the sign-in events."""
    from django.test import Client

    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/admin/")

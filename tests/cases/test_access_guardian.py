"""What guardian decides about object grants and what cases.access adds on top (D32).

Guardian owns the grant tables (direct foreign keys, its permission rows); the expiry, the
origins and the reading of grants together with the roles' rules are ours, so guardian's
backend stays out of AUTHENTICATION_BACKENDS: these tests show why.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.utils import get_user_obj_perms_model

from cases import access
from cases.models import CaseUserObjectPermission, Person, PersonUserObjectPermission
from cases.roles import grant_give
from tests.conftest import World


def test_the_grant_tables_are_guardians_direct_tables(world: World, lan_person: Person) -> None:
    """Guardian finds our tables as the direct-FK tables of Case and Person."""
    assert get_user_obj_perms_model(lan_person.cases.get()) is CaseUserObjectPermission
    assert get_user_obj_perms_model(lan_person) is PersonUserObjectPermission


def test_guardians_check_ignores_the_expiry_so_its_backend_stays_out(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.3.3: an expired grant gives nothing. Guardian's checker, which its backend
    asks, still answers yes; cases.access answers no, and user.has_perm never asks guardian."""
    tuan = world.users["tuan"]
    case = lan_person.cases.get()
    grant_give(actor=None, user=tuan, obj=case, expires_at=timezone.now() + timedelta(days=1))
    assert access.visible_cases(tuan).filter(pk=case.pk).exists()
    CaseUserObjectPermission.objects.filter(user=tuan).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert ObjectPermissionChecker(tuan).has_perm("view_case", case)  # guardian: still yes
    assert not access.visible_cases(tuan).filter(pk=case.pk).exists()  # ours: expired
    assert "guardian.backends.ObjectPermissionBackend" not in settings.AUTHENTICATION_BACKENDS
    assert not tuan.has_perm("cases.view_case", case)


def test_a_live_grant_is_no_object_permission_outside_cases_access(
    world: World, lan_person: Person
) -> None:
    """Object access is asked of cases.access (can, visible), never of user.has_perm: a live
    grant does not answer has_perm, so no caller can skip the rules, parts and expiry."""
    tuan = world.users["tuan"]
    case = lan_person.cases.get()
    grant_give(actor=None, user=tuan, obj=case)
    assert access.visible_cases(tuan).filter(pk=case.pk).exists()
    assert not tuan.has_perm("cases.view_case", case)

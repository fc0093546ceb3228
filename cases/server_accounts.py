"""Accounts created on the server, outside the app: a new installation's first administrators.

Nobody can sign in to a fresh installation, so its first administrators (two, or an
administrator and a supervisor: dual control needs a second person, docs/access.md) are
made with ``manage.py create_administrator`` by whoever runs the server. The actor is the
system (``None``), as for ``seed_demo``: the account starts its own chain (cases/chain.py).
They enrol their authenticator at the first sign-in, like everyone.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actions import user_save
from accounts.models import User

from .choices import Role
from .directory import organisation_save
from .models import AdministrativeUnit, Organisation, OrganisationType, StaffProfile
from .roles import staff_profile_save

# The office a province's administrators usually sit in (a type loaded by migration).
DEFAULT_ORGANISATION_TYPE = "social-affairs-office"


def administrator_create(
    *,
    username: str,
    full_name: str,
    password: str,
    unit_code: str,
    organisation_name: str,
    organisation_type: str = DEFAULT_ORGANISATION_TYPE,
) -> User:
    """Create an administrator whose scope is the unit, in the named organisation there
    (created if the unit has none of that name). Each write is its own event."""
    unit = AdministrativeUnit.objects.filter(code=unit_code).first()
    if unit is None:
        raise ValidationError(
            _("No administrative unit has the code %(code)s: load the units first.")
            % {"code": unit_code}
        )
    kind = OrganisationType.objects.filter(code=organisation_type).first()
    if kind is None:
        raise ValidationError(
            _("No organisation type has the code %(code)s.") % {"code": organisation_type}
        )
    words = full_name.split()
    if not words:
        raise ValidationError(_("Enter the full name."))
    user = User(username=username, first_name=" ".join(words[:-1]), last_name=words[-1])
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        organisation = Organisation.objects.filter(name=organisation_name, unit=unit).first()
        if organisation is None:
            organisation, _request = organisation_save(
                actor=None, organisation=Organisation(name=organisation_name, type=kind, unit=unit)
            )
        user_save(actor=None, user=user)
        staff_profile_save(
            actor=None,
            profile=StaffProfile(
                user=user, organisation=organisation, role=Role.ADMINISTRATOR, scope_unit=unit
            ),
        )
    return user

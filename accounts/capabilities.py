"""The accounts' own capability, on the capability table of core (``core.capabilities``).

The table's functions are re-exported here for the apps that name them through accounts.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.capabilities import (
    Capability as Capability,
)
from core.capabilities import (
    ObjectCheck as ObjectCheck,
)
from core.capabilities import (
    Scope as Scope,
)
from core.capabilities import (
    UnknownCapability as UnknownCapability,
)
from core.capabilities import (
    all_capabilities as all_capabilities,
)
from core.capabilities import (
    can as can,
)
from core.capabilities import (
    declare as declare,
)
from core.capabilities import (
    forget_roles as forget_roles,
)
from core.capabilities import (
    get as get,
)
from core.capabilities import (
    has_role as has_role,
)
from core.capabilities import (
    holders as holders,
)
from core.capabilities import (
    qualified as qualified,
)
from core.capabilities import (
    register_object_check as register_object_check,
)
from core.capabilities import (
    role_permissions as role_permissions,
)
from core.capabilities import (
    roles_of as roles_of,
)
from core.capabilities import (
    sync_role_groups as sync_role_groups,
)
from core.roles import Role

USERS_MANAGE = declare(
    "users.manage",
    roles=(Role.ADMINISTRATOR,),
    label=_("Manage staff accounts"),
    model_permissions=[
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
    ],
)

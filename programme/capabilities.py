"""Who may see and enter training courses, volunteers and communication activities.

The unit's supervisors and administrators, within their scope unit's subtree
(``programme.selectors``); nobody else, not even to read (D48).
"""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

ROLES = (Role.SUPERVISOR, Role.ADMINISTRATOR)

PROGRAMME_VIEW = declare(
    "programme.view",
    roles=ROLES,
    label=_("See training courses, volunteers and communication activities"),
)
PROGRAMME_CHANGE = declare(
    "programme.change",
    roles=ROLES,
    scope="change",
    label=_("Enter and change training courses, volunteers and communication activities"),
)

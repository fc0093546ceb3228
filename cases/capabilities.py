"""What each role may do with people, cases and emergency accesses (the capability table).

Which *objects* a role reaches is decided by ``cases.access``; here is only who holds which
verb. Other apps declare their own verbs the same way, in their own ``capabilities.py``.
"""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

# Roles that hold case content at all; auditors and administrators never do.
CONTENT_ROLES = (Role.CASEWORKER, Role.COMMUNE_OFFICER, Role.SUPERVISOR)
# Roles that write case content; supervisors read and review only.
WRITE_ROLES = (Role.CASEWORKER, Role.COMMUNE_OFFICER)

PERSON_VIEW = declare(
    "person.view",
    roles=CONTENT_ROLES,
    label=_("See people"),
    model_permissions=["cases.view_person"],
)
PERSON_ADD = declare(
    "person.add",
    roles=WRITE_ROLES,
    scope="change",
    label=_("Register a person"),
    model_permissions=["cases.add_person"],
)
PERSON_CHANGE = declare(
    "person.change",
    roles=WRITE_ROLES,
    scope="change",
    label=_("Change a person"),
    model_permissions=["cases.change_person"],
)
CASE_VIEW = declare(
    "case.view", roles=CONTENT_ROLES, label=_("See cases"), model_permissions=["cases.view_case"]
)
# Opening a case needs change scope on the person it is opened for.
CASE_ADD = declare(
    "case.add",
    roles=WRITE_ROLES,
    scope="change",
    label=_("Open a case"),
    model_permissions=["cases.add_case"],
)
CASE_CHANGE = declare(
    "case.change",
    roles=WRITE_ROLES,
    scope="change",
    label=_("Change a case"),
    model_permissions=["cases.change_case"],
)
EMERGENCY_REQUEST = declare(
    "emergency.request", roles=CONTENT_ROLES, label=_("Ask for emergency access")
)
EMERGENCY_REVIEW = declare(
    "emergency.review",
    roles=(Role.SUPERVISOR, Role.AUDITOR),
    label=_("Review emergency accesses"),
    model_permissions=["cases.review_emergencyaccess", "cases.view_emergencyaccess"],
)
# Figures by administrative unit (coverage reports): counts over the scope unit only.
FIGURES_VIEW = declare(
    "figures.view", roles=(Role.SUPERVISOR, Role.COMMUNE_OFFICER), label=_("See figures")
)
DIRECTORY_MANAGE = declare(
    "directory.manage",
    roles=(Role.ADMINISTRATOR,),
    label=_("Manage units, organisations and staff profiles"),
    model_permissions=[
        f"cases.{verb}_{model}"
        for model in ("organisation", "administrativeunit", "organisationtype", "staffprofile")
        for verb in ("view", "add", "change")
    ]
    # Moves that wait for a second administrator, decided on their admin list.
    + ["cases.view_directorychangerequest"],
)
# Dual control: a second person approves role changes that open case content or widen scope.
STAFF_APPROVE = declare(
    "staff.approve",
    roles=(Role.ADMINISTRATOR, Role.SUPERVISOR),
    label=_("Approve role changes"),
    model_permissions=["cases.view_rolechangerequest"],
)
# The "my work" start page: the cases assigned to the user and the people they follow.
MY_WORK = declare("work.mine", roles=WRITE_ROLES, label=_("See my work"))
# Closing a case of a category that needs approval (D45): a supervisor of the holder's area
# decides (``access.closures_to_decide`` says which requests).
CLOSURE_DECIDE = declare(
    "caseclosure.decide", roles=(Role.SUPERVISOR,), label=_("Approve the closing of cases")
)

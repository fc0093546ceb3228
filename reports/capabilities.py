"""Who may see coverage figures and who may enter the plans they are judged against.

Which units a user reaches is decided by ``reports.selectors`` (plans) and
``cases.access.figures_unit`` (figures): the scope unit of the staff profile.
"""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

# The dashboard and the 6-monthly report: supervisors for their unit's subtree, commune
# officers for their commune (counts only, never names).
FIGURES = declare(
    "reports.figures",
    roles=(Role.SUPERVISOR, Role.COMMUNE_OFFICER),
    label=_("See coverage figures"),
)
# Plans and their targets: read by supervisors (their unit's plans and those above it),
# entered and changed by the supervisors of the plan's unit or above it.
PLAN_VIEW = declare("reports.plan_view", roles=(Role.SUPERVISOR,), label=_("See plans"))
PLAN_CHANGE = declare(
    "reports.plan_change",
    roles=(Role.SUPERVISOR,),
    scope="change",
    label=_("Enter and change plans and their targets"),
)

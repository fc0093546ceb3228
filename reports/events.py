"""The audit actions of plans and targets (a denial is ``cases``' ``denied``)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class PlanAction:
    PLAN_ADDED = register("plan_added", _("Added a plan"))
    PLAN_CHANGED = register("plan_changed", _("Changed a plan"))
    TARGET_ADDED = register("target_added", _("Added a plan target"))
    TARGET_CHANGED = register("target_changed", _("Changed a plan target"))
    TARGET_REMOVED = register("target_removed", _("Removed a plan target"))

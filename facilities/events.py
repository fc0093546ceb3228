"""The audit actions of the facility registry (a denial is ``cases``' ``denied``)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class FacilityAction:
    PROFILE_ADDED = register("facility_profile_added", _("Added a facility profile"))
    PROFILE_CHANGED = register("facility_profile_changed", _("Changed a facility profile"))
    REVIEW_ADDED = register("facility_review_added", _("Recorded a facility condition review"))

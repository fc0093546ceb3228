"""The audit actions of methadone treatment: prescriptions, doses, corrections, the day's list."""

from django.utils.translation import gettext_lazy as _

from audit.registry import LIST, register


class MethadoneAction:
    PRESCRIPTION_RECORDED = register(
        "methadone_prescription_recorded", _("Recorded a methadone prescription")
    )
    DOSE_RECORDED = register("methadone_dose_recorded", _("Recorded a methadone dose"))
    # One event for a day's doses written at once (the detail names the episodes).
    DOSES_RECORDED = register("methadone_doses_recorded", _("Recorded a day's methadone doses"))
    DOSE_CORRECTED = register("methadone_dose_corrected", _("Corrected a methadone dose"))
    # The counter refused a dose the prescription does not allow (the detail names the rule).
    DOSE_REFUSED = register("methadone_dose_refused", _("A methadone dose was refused"))
    DOSE_OVERRIDE_RECORDED = register(
        "methadone_dose_override_recorded", _("Recorded a methadone one-day dose")
    )
    # The clinic's "today" screen: one event per view, naming every patient it showed.
    TODAY_VIEWED = register(
        "methadone_today_viewed", _("Viewed the clinic's dosing list"), kind=LIST
    )

"""The audit actions of the methadone figures pages."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class FiguresAction:
    # One event per view of a clinic's figures (counts only; the patient page's read is
    # recorded by cases.access.get_for_user).
    CLINIC_FIGURES = register("methadone_clinic_figures", _("Viewed a methadone clinic's figures"))

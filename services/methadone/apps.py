from django.apps import AppConfig
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MethadoneConfig(AppConfig):
    name = "services.methadone"
    label = "methadone"  # the tables, migrations and permissions keep the app's first name
    verbose_name = _("Methadone")

    def ready(self) -> None:
        from accounts.capabilities import can
        from cases import access, dues, timeline
        from cases import demo as cases_demo
        from core import navigation

        # Importing registers the audit actions and declares the capabilities.
        from . import (  # noqa: F401
            capabilities,
            capabilities_figures,
            demo,
            events,
            events_figures,
            selectors,
        )
        from .models import Dose, DoseCorrection, Prescription
        from .selectors import METHADONE_PART

        # Prescriptions, doses and their corrections are the "methadone" part of a case: a
        # viewer who sees the case only through a referral sees them only if it shares it.
        timeline.register(selectors.prescription_entries, part=METHADONE_PART)
        for model in (Prescription, Dose, DoseCorrection):
            access.register_record_part(model, METHADONE_PART)
        timeline.register_add_links(selectors.add_links)
        # Reviews due (planned, or raised by a run of missed days) on the prescriber's
        # "Việc của tôi", read off the partial index prescription_review_due.
        dues.register(
            Prescription,
            open=Q(review_due_on__isnull=False),
            label=selectors.review_label,
            url=selectors.review_url,
            due_field="review_due_on",
            responsible_field="prescriber",
        )
        # The clinic's list of the day is the start page of its staff (before "My work").
        navigation.add(
            _("Today's doses"),
            "methadone:today",
            allowed=selectors.works_at_clinic,
            order=4,
            start_page=True,
        )
        cases_demo.register(demo.seed)
        from . import indicators

        indicators.register()  # the figures registry (reports): MMT_* indicators
        navigation.add(
            _("Methadone figures"),
            "methadone:clinic_figures",
            allowed=lambda user: can(user, capabilities_figures.CLINIC_FIGURES),
            order=60,
        )

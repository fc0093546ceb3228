from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("People and cases")

    def ready(self) -> None:
        from accounts.actions import register_reactivation_gate
        from accounts.capabilities import USERS_MANAGE
        from audit import registry
        from core import navigation

        # Importing registers the actions and capabilities, and connects the receivers.
        from . import access, events, records, resets, roles, selectors, summary  # noqa: F401
        from . import capabilities as caps
        from .notes import NOTES

        records.register(NOTES)  # contact notes (D42)
        from . import closure, plans

        plans.register()  # the case plan (D45)
        records.register(closure.CLOSURES)  # closing and re-opening a case (D45)
        from . import family, timeline

        timeline.register_person_section(family.person_section)
        from . import moves

        timeline.register_person_section(moves.person_section)  # residence and moves (D50)
        navigation.add_section(moves.tallies)
        registry.register_person_resolver(access.person_id_of)
        registry.register_citizen_id_finder(selectors.person_ids_with_citizen_id)
        registry.register_organisation_namer(_organisation_names)
        registry.register_organisation_list(_organisation_list)
        register_reactivation_gate(resets.reactivation_hold)
        for label, url_name, capability, order, start in (
            (_("My work"), "cases:my_work", caps.MY_WORK, 5, True),
            (_("Find a person"), "cases:person_search", caps.PERSON_VIEW, 10, True),
            (_("Cases"), "cases:case_list", caps.CASE_VIEW, 20, False),
            (_("Emergency access"), "cases:emergency_request", caps.EMERGENCY_REQUEST, 30, False),
            (_("Reviews"), "cases:emergency_review_list", caps.EMERGENCY_REVIEW, 40, False),
            (_("Approvals"), "cases:role_request_list", caps.STAFF_APPROVE, 45, False),
            (_("Case closings"), "cases:closure_queue", caps.CLOSURE_DECIDE, 46, False),
            (_("Staff"), "cases:staff_list", USERS_MANAGE, 85, True),
        ):
            navigation.add(
                label, url_name, order=order, start_page=start, allowed=_holder_of(capability)
            )


def _holder_of(capability: str) -> Callable[[Any], bool]:
    from accounts.capabilities import can

    return lambda user: can(user, capability)


def _organisation_names(ids: set[Any]) -> dict[Any, str]:
    from .models import Organisation

    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


def _organisation_list() -> list[tuple[Any, str]]:
    from .models import Organisation

    return list(Organisation.objects.order_by("name").values_list("pk", "name"))

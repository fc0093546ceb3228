"""Which kinds of organisation may receive a referral for which service (a pure rule).

A commune's police and its People's Committee provide no treatment: a referral for a health
service never goes to them, and opioid substitution treatment only to a methadone clinic or a
health facility. Organisation types and services are data (``cases.OrganisationType``,
``services.ServiceType``); this table names their codes.
"""

from __future__ import annotations

# Organisation types that provide no health care or treatment.
NO_TREATMENT = frozenset({"police", "commune-committee"})
# Service categories that are treatment or health care.
TREATMENT_CATEGORIES = frozenset({"health"})
# Services only some organisation types provide.
ONLY_BY: dict[str, frozenset[str]] = {
    "opioid_substitution": frozenset({"methadone-clinic", "health-facility"}),
}


def may_provide(*, service_code: str, service_category: str, organisation_type: str) -> bool:
    """Return whether an organisation of this type may receive a referral for this service."""
    only = ONLY_BY.get(service_code)
    if only is not None:
        return organisation_type in only
    return not (service_category in TREATMENT_CATEGORIES and organisation_type in NO_TREATMENT)

"""Needs assessment for returned trafficking victims, version 1: the support services to offer.

Each of seven domains is rated (no need, some need, urgent need) with optional notes; every
domain with a need maps to the support services of the Law on Prevention and Combat of Human
Trafficking that answer it (``DOMAIN_SERVICES``, the table in docs/screening.md). The service
codes are those of the service catalogue.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from .base import Answers, Collector, Field, Instrument, Option, Question, Result, Subject

CODE = "victim_needs"
VERSION = "1"

ESSENTIAL_NEEDS = "essential_needs"
TRAVEL = "travel"
MEDICAL = "medical"
PSYCHOLOGICAL = "psychological"
LEGAL_AID = "legal_aid"
EDUCATION_VOCATIONAL = "education_vocational"
HARDSHIP_ALLOWANCE = "hardship_allowance"
LOAN = "loan"
# The law's order, which is also the order services are offered in.
SERVICES = (
    ESSENTIAL_NEEDS,
    TRAVEL,
    MEDICAL,
    PSYCHOLOGICAL,
    LEGAL_AID,
    EDUCATION_VOCATIONAL,
    HARDSHIP_ALLOWANCE,
    LOAN,
)

HEALTH = Subject("health", _("Health"))
PSYCHOLOGICAL_DOMAIN = Subject("psychological", _("Psychological"))
LEGAL = Subject("legal", _("Legal"))
HOUSING = Subject("housing", _("Housing"))
EDUCATION = Subject("education_vocational", _("Education and vocational training"))
FINANCIAL = Subject("financial", _("Financial"))
FAMILY_SAFETY = Subject("family_safety", _("Family and safety"))
DOMAINS = (HEALTH, PSYCHOLOGICAL_DOMAIN, LEGAL, HOUSING, EDUCATION, FINANCIAL, FAMILY_SAFETY)

DOMAIN_SERVICES: Mapping[str, tuple[str, ...]] = {
    HEALTH.code: (MEDICAL,),
    PSYCHOLOGICAL_DOMAIN.code: (PSYCHOLOGICAL,),
    LEGAL.code: (LEGAL_AID,),
    HOUSING.code: (ESSENTIAL_NEEDS,),
    EDUCATION.code: (EDUCATION_VOCATIONAL,),
    FINANCIAL.code: (HARDSHIP_ALLOWANCE, LOAN),
    FAMILY_SAFETY.code: (TRAVEL, ESSENTIAL_NEEDS),
}

NO_NEED = "none"
SOME_NEED = "some"
URGENT_NEED = "urgent"
NEED = Question(
    "need",
    _("Need"),
    _("How great is the person's need in this area?"),
    (
        Option(NO_NEED, _("No need"), 0),
        Option(SOME_NEED, _("Some need"), 1),
        Option(URGENT_NEED, _("Urgent need"), 2),
    ),
)
NOTES = Question("notes", _("Notes"), _("What the person needs, in their words."), max_length=2000)


def _offered(levels: Mapping[str, str], wanted: set[str]) -> tuple[str, ...]:
    chosen = {domain for domain, level in levels.items() if level in wanted}
    services = {service for domain in chosen for service in DOMAIN_SERVICES[domain]}
    return tuple(service for service in SERVICES if service in services)


def score(instrument: Instrument, answers: Answers) -> Result:
    """Return the services to offer for the needs found; ValidationError naming each bad one."""
    read = Collector(instrument, answers)
    levels: dict[str, str] = {}
    for domain in DOMAINS:
        need = read.choice(Field(NEED, domain))
        read.text(Field(NOTES, domain))
        if need is not None:
            levels[domain.code] = need.code
    read.raise_if_invalid()
    return Result(
        instrument=instrument.code,
        version=instrument.version,
        answers=dict(read.cleaned),
        free_text=instrument.free_text_keys & read.cleaned.keys(),
        services=_offered(levels, {SOME_NEED, URGENT_NEED}),
        urgent_services=_offered(levels, {URGENT_NEED}),
    )


VICTIM_NEEDS_V1 = Instrument(
    code=CODE,
    version=VERSION,
    name=_("Needs assessment for returned trafficking victims"),
    source=(
        "Hòa Nhập, version 1: domains mapped to the support services of the Law on "
        "Prevention and Combat of Human Trafficking (2024), Article 37"
    ),
    fields=tuple(Field(question, domain) for domain in DOMAINS for question in (NEED, NOTES)),
    scorer=score,
)

"""The substance classes screened, shared by ASSIST and the DSM-5 criteria.

The ten classes and their examples are those of the WHO ASSIST v3.0 questionnaire (WHO, "The
Alcohol, Smoking and Substance Involvement Screening Test (ASSIST): manual for use in primary
care", 2010, Appendix A). DSM-5 groups cocaine and amphetamine-type substances as stimulants;
using the same ten codes in both instruments lets figures compare them.
"""

from django.utils.translation import gettext_lazy as _

from .base import Subject

TOBACCO = Subject("tobacco", _("Tobacco products"), _("cigarettes, chewing tobacco, cigars, etc."))
ALCOHOL = Subject("alcohol", _("Alcoholic beverages"), _("beer, wine, spirits, etc."))
CANNABIS = Subject("cannabis", _("Cannabis"), _("marijuana, pot, grass, hash, etc."))
COCAINE = Subject("cocaine", _("Cocaine"), _("coke, crack, etc."))
AMPHETAMINES = Subject(
    "amphetamines", _("Amphetamine-type stimulants"), _("speed, diet pills, ecstasy, etc.")
)
INHALANTS = Subject("inhalants", _("Inhalants"), _("nitrous, glue, petrol, paint thinner, etc."))
SEDATIVES = Subject(
    "sedatives", _("Sedatives or sleeping pills"), _("Valium, Serepax, Rohypnol, etc.")
)
HALLUCINOGENS = Subject(
    "hallucinogens", _("Hallucinogens"), _("LSD, acid, mushrooms, PCP, Special K, etc.")
)
OPIOIDS = Subject("opioids", _("Opioids"), _("heroin, morphine, methadone, codeine, etc."))
OTHER = Subject("other", _("Other substances"), _("specify below"))

SUBSTANCES: tuple[Subject, ...] = (
    TOBACCO,
    ALCOHOL,
    CANNABIS,
    COCAINE,
    AMPHETAMINES,
    INHALANTS,
    SEDATIVES,
    HALLUCINOGENS,
    OPIOIDS,
    OTHER,
)

"""DSM-5 substance use disorder: the 11 criteria, their count and the severity, per substance.

Source: American Psychiatric Association, "Diagnostic and Statistical Manual of Mental
Disorders, Fifth Edition" (DSM-5), 2013, chapter "Substance-Related and Addictive Disorders".
A problematic pattern of use shown by at least two criteria within a 12-month period; severity
by the number of criteria met: 2–3 mild, 4–5 moderate, 6 or more severe (0–1: no disorder).
Hallucinogen and inhalant use disorders have no withdrawal criterion; for opioids, sedatives
and stimulants, tolerance and withdrawal are not counted when the substance is taken solely
under appropriate medical supervision.
"""

from django.utils.translation import gettext_lazy as _

from .base import (
    Answers,
    Collector,
    Field,
    Instrument,
    Label,
    Option,
    Question,
    Result,
    Subject,
    SubjectScore,
)
from .base import points as points_of
from .substances import (
    AMPHETAMINES,
    COCAINE,
    HALLUCINOGENS,
    INHALANTS,
    OPIOIDS,
    SEDATIVES,
    SUBSTANCES,
)

CODE = "dsm5_sud"
VERSION = "1"

NONE = "none"
MILD = "mild"
MODERATE = "moderate"
SEVERE = "severe"
SEVERITY_LEVELS = {
    NONE: _("No substance use disorder"),
    MILD: _("Mild substance use disorder"),
    MODERATE: _("Moderate substance use disorder"),
    SEVERE: _("Severe substance use disorder"),
}

_MET = (Option("no", _("No"), 0), Option("yes", _("Yes"), 1))


def _criterion(code: str, label: Label, text: Label) -> Question:
    return Question(code, label, text, _MET)


CRITERIA: tuple[Question, ...] = (
    _criterion(
        "larger_longer",
        _("1. Larger amounts or longer than intended"),
        _("The substance is often taken in larger amounts or over a longer period than intended."),
    ),
    _criterion(
        "cut_down",
        _("2. Unable to cut down or control use"),
        _("There is a persistent desire or unsuccessful efforts to cut down or control use."),
    ),
    _criterion(
        "time_spent",
        _("3. Much time obtaining, using or recovering"),
        _(
            "A great deal of time is spent in activities necessary to obtain the substance, use "
            "it or recover from its effects."
        ),
    ),
    _criterion(
        "craving",
        _("4. Craving"),
        _("Craving, or a strong desire or urge to use the substance."),
    ),
    _criterion(
        "role_failure",
        _("5. Failing major obligations"),
        _(
            "Recurrent use results in a failure to fulfil major obligations at work, school "
            "or home."
        ),
    ),
    _criterion(
        "social_problems",
        _("6. Use despite social problems"),
        _(
            "Use continues despite persistent or recurrent social or interpersonal problems "
            "caused or made worse by its effects."
        ),
    ),
    _criterion(
        "activities_given_up",
        _("7. Activities given up"),
        _("Important social, occupational or recreational activities are given up or reduced."),
    ),
    _criterion(
        "hazardous_use",
        _("8. Use in hazardous situations"),
        _("Recurrent use in situations in which it is physically hazardous."),
    ),
    _criterion(
        "health_problems",
        _("9. Use despite health problems"),
        _(
            "Use continues despite knowing of a persistent or recurrent physical or psychological "
            "problem likely caused or made worse by the substance."
        ),
    ),
    _criterion(
        "tolerance",
        _("10. Tolerance"),
        _(
            "Markedly more of the substance is needed for the desired effect, or the same amount "
            "has a markedly smaller effect."
        ),
    ),
    _criterion(
        "withdrawal",
        _("11. Withdrawal"),
        _(
            "The characteristic withdrawal syndrome appears, or the substance (or a closely "
            "related one) is taken to relieve or avoid withdrawal symptoms."
        ),
    ),
)
SUBSTANCE = Question(
    "substance",
    _("Substance"),
    _("Which substance are the criteria about?"),
    tuple(Option(substance.code, substance.name) for substance in SUBSTANCES),
)
SUPERVISED = Question(
    "supervised",
    _("Taken only under medical supervision"),
    _(
        "Is the substance taken solely under appropriate medical supervision (for example "
        "methadone maintenance treatment)? If so, tolerance and withdrawal are not counted."
    ),
    _MET,
)
# DSM-5 gives these substances no withdrawal criterion (10 criteria, not 11).
NO_WITHDRAWAL = frozenset({HALLUCINOGENS.code, INHALANTS.code})
# Opioids, sedatives and stimulants: tolerance and withdrawal under medical supervision.
SUPERVISION_APPLIES = frozenset({OPIOIDS.code, SEDATIVES.code, COCAINE.code, AMPHETAMINES.code})
_PHARMACOLOGICAL = frozenset({"tolerance", "withdrawal"})


def criteria_for(substance: str) -> tuple[Question, ...]:
    """Return the criteria that apply to a substance class."""
    if substance in NO_WITHDRAWAL:
        return tuple(question for question in CRITERIA if question.code != "withdrawal")
    return CRITERIA


def severity(count: int) -> str:
    """Return the severity code for a number of criteria met."""
    if count >= 6:
        return SEVERE
    if count >= 4:
        return MODERATE
    return MILD if count >= 2 else NONE


def _count(read: Collector, substance: Subject | None) -> int:
    if substance is None:  # which criteria apply is unknown: check the ten common ones only
        for question in criteria_for(HALLUCINOGENS.code):
            read.choice(Field(question))
        return 0
    criteria = criteria_for(substance.code)
    met = {question.code: points_of(read.choice(Field(question))) for question in criteria}
    read.not_asked(Field(question) for question in CRITERIA if question not in criteria)
    if substance.code not in SUPERVISION_APPLIES:
        read.not_asked([Field(SUPERVISED)])
        return sum(met.values())
    supervised = read.choice(Field(SUPERVISED))
    if supervised is not None and supervised.code == "yes":
        return sum(value for code, value in met.items() if code not in _PHARMACOLOGICAL)
    return sum(met.values())


def score(instrument: Instrument, answers: Answers) -> Result:
    """Count the DSM-5 criteria met for one substance; ValidationError naming each bad answer."""
    read = Collector(instrument, answers)
    chosen = read.choice(Field(SUBSTANCE))
    substance = next((s for s in SUBSTANCES if chosen and s.code == chosen.code), None)
    count = _count(read, substance)
    read.raise_if_invalid()
    assert substance is not None  # noqa: S101 - a missing substance raised just above
    level = severity(count)
    return Result(
        instrument=instrument.code,
        version=instrument.version,
        answers=dict(read.cleaned),
        free_text=frozenset(),
        scores=(SubjectScore(substance.code, count, level),),
        total=count,
        level=level,
    )


DSM5_SUD_V1 = Instrument(
    code=CODE,
    version=VERSION,
    name=_("DSM-5 substance use disorder criteria"),
    source=(
        "American Psychiatric Association, Diagnostic and Statistical Manual of Mental "
        "Disorders, Fifth Edition (DSM-5), 2013: Substance-Related and Addictive Disorders"
    ),
    fields=(Field(SUBSTANCE), *(Field(question) for question in CRITERIA), Field(SUPERVISED)),
    scorer=score,
    levels=SEVERITY_LEVELS,
)

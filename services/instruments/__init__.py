"""Screening instruments: versioned definitions with their scoring, no models.

``get(code, version)`` returns the definition a stored screening names; ``latest(code)`` the
one a new screening uses; ``definition.score(answers)`` validates and scores a mapping of
answer key to answer, raising ``django.core.exceptions.ValidationError`` keyed by answer key.
See docs/screening.md.
"""

from .assist_v3_0 import ASSIST_V3_0
from .assist_v3_0_2 import ASSIST_V3_0_2
from .base import Field, Instrument, Option, Question, Result, Subject, SubjectScore
from .dsm5_sud_v1 import DSM5_SUD_V1
from .registry import Registry, UnknownInstrumentError
from .victim_needs_v1 import VICTIM_NEEDS_V1

registry = Registry()
# A newer version of an instrument is registered after the older one: latest() is the last.
for _definition in (ASSIST_V3_0, ASSIST_V3_0_2, DSM5_SUD_V1, VICTIM_NEEDS_V1):
    registry.register(_definition)

get = registry.get
all = registry.all  # noqa: A001 - the name the callers use: instruments.all()
latest = registry.latest
current = registry.current

__all__ = [
    "Field",
    "Instrument",
    "Option",
    "Question",
    "Registry",
    "Result",
    "Subject",
    "SubjectScore",
    "UnknownInstrumentError",
    "all",
    "current",
    "get",
    "latest",
    "registry",
]

"""The kinds of service record a case page can add, each with its model, form and label.

The case page's "Add…" menu, the add/detail/edit views and the timeline read this table; a
kind offered only to some client categories names them (empty: every category).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser
from cases.choices import ClientCategory

from . import actions, forms, instruments, screenings
from .models import (
    CaseRecord,
    FollowUp,
    PostRehabPeriod,
    Reception,
    Screening,
    ServiceRecord,
    ShelterStay,
    TreatmentEpisode,
    VocationalSupport,
)

DRUG_CATEGORIES = (
    ClientCategory.ADDICTION,
    ClientCategory.DRUG_USER,
    ClientCategory.HIGH_RISK,
    ClientCategory.POST_REHAB,
)
VICTIM_CATEGORIES = (ClientCategory.TRAFFICKING_VICTIM,)


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type[CaseRecord]
    form: type[forms.RecordForm]
    label: str | Promise
    categories: tuple[str, ...] = ()
    # Rules that need more than one row (run inside the save step, after clean()).
    checks: tuple[Callable[[Any], None], ...] = field(default=())
    # The action that saves a new record from its valid form (default: actions.record_add).
    adder: Callable[..., CaseRecord] | None = None
    # A screening is a record of one moment: corrected by a new one, never edited.
    editable: bool = True
    # The instrument code of a screening kind (its records name it).
    instrument: str = ""
    # Steps run after the save, in its transaction (e.g. planning a period's check-ins).
    after: tuple[Callable[[Any, Any], None], ...] = field(default=())

    def offered_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.slug] = kind
    return kind


def get(slug: str) -> Kind:
    """Return the kind named in a URL, or 404."""
    try:
        return KINDS[slug]
    except KeyError:
        raise Http404 from None


def of_record(record: CaseRecord) -> Kind:
    """Return the kind a saved record belongs to (a screening's depends on its instrument)."""
    if isinstance(record, Screening):
        return next(k for k in KINDS.values() if k.instrument == record.instrument)
    return next(kind for kind in KINDS.values() if kind.model is type(record))


for _kind in (
    Kind("service", ServiceRecord, forms.ServiceRecordForm, _("Service")),
    Kind("episode", TreatmentEpisode, forms.EpisodeForm, _("Treatment episode"), DRUG_CATEGORIES),
    Kind("post-rehab", PostRehabPeriod, forms.PostRehabForm, _("Post-rehab management"),
         DRUG_CATEGORIES, checks=(actions.postrehab_check,), after=(actions.postrehab_after,)),
    Kind("follow-up", FollowUp, forms.FollowUpForm, _("Follow-up")),
    Kind("vocational", VocationalSupport, forms.VocationalForm, _("Vocational support")),
    Kind("reception", Reception, forms.ReceptionForm, _("Reception"), VICTIM_CATEGORIES),
    Kind("shelter", ShelterStay, forms.ShelterStayForm, _("Shelter stay (Nhà Nhân ái)"),
         VICTIM_CATEGORIES, checks=(actions.shelter_stay_check,)),
):  # fmt: skip
    register(_kind)


def _screening_adder(*, actor: AnyUser, form: Any) -> CaseRecord:
    return actions.screening_record(actor=actor, screening=form.instance, result=form.result)


for _slug, _code, _categories in (
    ("screening-assist", "assist", DRUG_CATEGORIES),
    ("screening-dsm5", "dsm5_sud", DRUG_CATEGORIES),
    ("screening-needs", "victim_needs", VICTIM_CATEGORIES),
):
    _instrument = instruments.latest(_code)
    register(
        Kind(
            _slug,
            Screening,
            screenings.form_for(_instrument),
            _instrument.name,
            _categories,
            adder=_screening_adder,
            editable=False,
            instrument=_code,
        )
    )

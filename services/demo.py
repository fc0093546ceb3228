"""Fictitious demo records for the services app: planned and delivered services, screenings,
treatment episodes and returned victims' reception, so the timeline and "Việc của tôi" show
something on the demo province. Only called by ``seed_demo`` (HOA_NHAP_DEMO=1)."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

from django.utils import timezone

from cases import dues
from cases.choices import CaseStatus, ClientCategory
from cases.models import Case

from .instruments.dsm5_sud_v1 import CRITERIA, DSM5_SUD_V1
from .models import Reception, Screening, ScreeningScore, ServiceRecord, ServiceType

DRUGS = {ClientCategory.ADDICTION, ClientCategory.DRUG_USER, ClientCategory.POST_REHAB}


def seed(rng: random.Random) -> None:
    """Give most open cases with a staff member something done and something due."""
    today = timezone.localdate()
    services = {s.code: s for s in ServiceType.objects.all()}
    cases = Case.objects.filter(status=CaseStatus.OPEN, assigned_to__isnull=False)
    for case in cases.select_related("assigned_to").order_by("opened_on", "id"):
        staff: Any = case.assigned_to
        due = today + datetime.timedelta(days=rng.randrange(-10, 21))
        service = services["hardship_allowance" if _victim(case) else "counselling"]
        ServiceRecord.objects.create(
            case=case,
            service_type=service,
            status="planned",
            due_on=due,
            responsible=staff,
            recorded_by=staff,
            provider=case.organisation,
        )
        if _victim(case):
            Reception.objects.create(
                case=case,
                recorded_by=staff,
                received_on=case.opened_on,
                receiving_agency=case.organisation,
                identification_status="identified",
                place="Cửa khẩu (demo)",
                current_address="Thôn Mẫu (demo)",
            )
        elif case.category in DRUGS:
            _screening(rng, case, staff)
        dues.case_refresh(case_id=case.pk)


def _victim(case: Case) -> bool:
    return case.category == ClientCategory.TRAFFICKING_VICTIM


def _screening(rng: random.Random, case: Case, staff: Any) -> None:
    met = rng.randrange(0, len(CRITERIA) + 1)
    answers = {"substance": "opioids", "supervised": "no"}
    answers |= {c.code: "yes" if n < met else "no" for n, c in enumerate(CRITERIA)}
    result = DSM5_SUD_V1.score(answers)
    screening = Screening.objects.create(
        case=case,
        recorded_by=staff,
        screener=staff,
        screened_on=case.opened_on,
        instrument=result.instrument,
        instrument_version=result.version,
        answers=json.dumps(dict(result.answers)),
        score=result.total,
        level=result.level or "",
    )
    for entry in result.scores:
        ScreeningScore.objects.create(
            screening=screening, item=entry.subject, score=entry.score, level=entry.level
        )

"""The demo province's facilities: a profile for each, a year of reviews, some stays
(``facilities/demo.py``, run by ``seed_demo`` after the people and cases)."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from cases.models import AdministrativeUnit
from facilities.models import ConditionReview, FacilityProfile
from facilities.selectors import public_facilities


def test_the_demo_has_profiles_and_a_year_of_reviews(db: None) -> None:
    call_command("seed_demo", "--people", "30", stdout=io.StringIO())
    profiles = FacilityProfile.objects.select_related("organisation__type")
    assert {p.organisation.type.code for p in profiles} == {
        "rehab-public",
        "nha-nhan-ai",
        "methadone-clinic",
    }
    year_ago = timezone.localdate() - datetime.timedelta(days=366)
    for profile in profiles:
        reviews = ConditionReview.objects.filter(facility=profile)
        assert reviews.count() == 4
        assert all(year_ago <= r.reviewed_on <= timezone.localdate() for r in reviews)
        assert all(r.items.count() == 14 for r in reviews)
    province = AdministrativeUnit.objects.get(code="99")
    assert len(public_facilities(province)) == profiles.count()

"""The public directory in English (D62): facility types, services and who may use them from
their codes, hours in English where given; and the links that lead to the directory."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from facilities.models import FacilityProfile
from services.models import ServiceType
from tests.conftest import World
from tests.directory.test_pages import _province_url, published  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bilingual(published: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The rehabilitation facility gives its hours in English too; the methadone clinic
    offers opioid substitution (for people who use drugs) and gives Vietnamese hours only."""
    shown = published["shown"]
    shown.opening_hours_en = "All day, every day"
    shown.save()
    clinic = FacilityProfile.objects.get(organisation__name="Methadone Phường")
    clinic.opening_hours = "6:30–10:30 hằng ngày"
    clinic.save()
    clinic.services.set([ServiceType.objects.get(code="opioid_substitution")])
    return {**published, "clinic": clinic}


def test_the_english_page_names_types_services_and_who_may_use_them_in_english(
    bilingual: dict[str, Any],
) -> None:
    text = Client().get(_province_url(lang="en")).content.decode()
    # Types from their codes.
    assert "Methadone treatment facilities</h2>" in text
    assert "Public drug rehabilitation facilities</h2>" in text
    assert "Legal aid centres</h2>" in text
    assert "Cơ sở điều trị methadone</h2>" not in text
    # Services from the catalogue's English names.
    for code in ("counselling", "opioid_substitution"):
        service = ServiceType.objects.get(code=code)
        assert service.name_en in text and service.name_vi not in text
    # Who may use them: the categories the services are offered to.
    assert "Illegal drug user" in text and "Person with addiction" in text
    assert "Everyone the services are meant for" in text  # counselling is offered to all
    # Hours in English where given; else the Vietnamese, marked as such for screen readers.
    assert "All day, every day" in text and "Cả ngày, 24/7" not in text
    assert '<dd lang="vi">6:30–10:30 hằng ngày</dd>' in text
    # The administrators' own words on eligibility stay, marked as Vietnamese.
    assert 'lang="vi">Người nghiện ma túy từ đủ 18 tuổi' in text


def test_the_vietnamese_page_keeps_the_vietnamese_names(bilingual: dict[str, Any]) -> None:
    text = Client().get(_province_url()).content.decode()
    assert "Cơ sở điều trị methadone</h2>" in text
    assert ServiceType.objects.get(code="counselling").name_vi in text
    assert "Người nghiện ma túy" in text  # the category's Vietnamese label
    assert "Cả ngày, 24/7" in text and "All day, every day" not in text
    assert "6:30–10:30 hằng ngày" in text


def test_a_type_with_no_english_name_shows_its_own_name(world: World) -> None:
    """A province's own organisation type (not in the list) is shown as typed."""
    from cases.models import OrganisationType
    from tests.facilities.support import facility

    OrganisationType.objects.create(code="peer-group", name="Nhóm đồng đẳng")
    facility("Nhóm Bạn Giúp Bạn", "peer-group", world.units["c1"])
    text = Client().get(_province_url(lang="en")).content.decode()
    assert "Nhóm đồng đẳng</h2>" in text


def test_the_sign_in_page_and_the_footer_lead_to_the_directory(world: World) -> None:
    login = Client().get(reverse("login")).content.decode()
    assert login.count(f'href="{reverse("directory:index")}"') == 2  # the page and its footer
    home = world.client("lan").get(reverse("cases:my_work")).content.decode()
    assert f'href="{reverse("directory:index")}"' in home

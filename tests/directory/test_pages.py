"""The public directory (issue 32, D56): no sign-in, published facilities only, nothing
about any client, cacheable, and a bounded number of queries touching no client table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.middleware import ALLOWED_BEFORE_SECOND_FACTOR, PUBLIC_PAGES
from audit.models import Event
from cases.choices import UnitLevel
from cases.models import AdministrativeUnit, Person
from services.models import ServiceType
from tests.conftest import World, signed_in_client
from tests.facilities.support import facility

pytestmark = pytest.mark.django_db

# The only tables a directory page may read (the session's, for a visitor who has one).
ALLOWED_TABLES = {
    "cases_administrativeunit",
    "cases_organisation",
    "cases_organisationtype",
    "facilities_facilityprofile",
    "facilities_facilityprofile_services",
    "services_servicetype",
    "django_session",
}
PAGES = ("directory:index", "directory:treatment", "directory:rights")


def _tables(queries: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for query in queries:
        found |= set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"], re.IGNORECASE))
    return found


def _province_url(code: str = "98", lang: str = "") -> str:
    url = reverse("directory:province", args=[code])
    return f"{url}?lang={lang}" if lang else url


@pytest.fixture
def published(world: World) -> dict[str, Any]:
    """A published facility of each kind the directory groups, one unpublished, one closed,
    one of another province, and clients of the province (who must never show)."""
    u = world.units
    shown = facility("Cơ sở cai nghiện Tỉnh", "rehab-public", u["c1"], capacity=80)
    shown.phone, shown.opening_hours = "0214 3822 111", "Cả ngày, 24/7"
    shown.eligibility = "Người nghiện ma túy từ đủ 18 tuổi"
    shown.save()
    shown.services.set([ServiceType.objects.get(code="counselling")])
    facility("Methadone Phường", "methadone-clinic", u["c4"], capacity=300, unit="patients")
    facility("Nhà Nhân ái Xã Hai", "nha-nhan-ai", u["c3"])
    facility("Trường nghề Huyện Một", "vocational-school", u["c2"])
    facility("Trợ giúp pháp lý Tỉnh", "legal-aid", u["c4"])
    facility("Cơ sở chưa công bố", "rehab-public", u["c1"], published=False)
    facility("Cơ sở đã đóng", "rehab-public", u["c2"], active=False)
    other = AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE)
    far = AdministrativeUnit.objects.create(
        code="97101", name="Xã Xa", level=UnitLevel.COMMUNE, parent=other
    )
    facility("Methadone Tỉnh Khác", "methadone-clinic", far)
    empty = AdministrativeUnit.objects.create(
        code="96", name="Tỉnh Chưa Có", level=UnitLevel.PROVINCE
    )
    return {"shown": shown, "other": other, "empty": empty}


def test_a_province_page_lists_its_published_facilities_for_anyone(
    published: dict[str, Any],
) -> None:
    response = Client().get(_province_url())
    assert response.status_code == 200
    text = response.content.decode()
    for name in (
        "Cơ sở cai nghiện Tỉnh",
        "Methadone Phường",
        "Nhà Nhân ái Xã Hai",
        "Trường nghề Huyện Một",
        "Trợ giúp pháp lý Tỉnh",
    ):
        assert name in text
    for fact in ("0214 3822 111", "Cả ngày, 24/7", "Người nghiện ma túy từ đủ 18 tuổi"):
        assert fact in text
    assert ServiceType.objects.get(code="counselling").name_vi in text
    assert 'href="tel:02143822111"' in text  # a phone link without the spaces
    # Grouped by organisation type, each type once.
    assert text.count("Nhà Nhân ái</h2>") == 1
    assert "Cơ sở điều trị methadone</h2>" in text
    # Unpublished, closed and another province's facilities are not listed.
    for hidden in ("Cơ sở chưa công bố", "Cơ sở đã đóng", "Methadone Tỉnh Khác"):
        assert hidden not in text


def test_the_other_province_shows_only_its_own(published: dict[str, Any]) -> None:
    text = Client().get(_province_url("97")).content.decode()
    assert "Methadone Tỉnh Khác" in text
    assert "Cơ sở cai nghiện Tỉnh" not in text and "Methadone Phường" not in text


def test_the_index_lists_provinces_with_published_facilities(published: dict[str, Any]) -> None:
    response = Client().get(reverse("directory:index"))
    assert response.status_code == 200
    text = response.content.decode()
    assert _province_url("98") in text and _province_url("97") in text
    assert "Tỉnh Chưa Có" not in text  # nothing published there
    assert reverse("directory:treatment") in text and reverse("directory:rights") in text


@pytest.mark.parametrize("code", ["981", "98101", "00", "no-such", "96x"])
def test_a_unit_that_is_not_a_province_is_not_found(published: dict[str, Any], code: str) -> None:
    assert Client().get(_province_url(code)).status_code == 404


def test_a_province_with_nothing_published_says_so(published: dict[str, Any]) -> None:
    response = Client().get(_province_url("96"))
    assert response.status_code == 200
    assert 'data-testid="none"' in response.content.decode()


def test_no_client_ever_appears(world: World, lan_person: Person, tuan_person: Person,
                                published: dict[str, Any]) -> None:  # fmt: skip
    """People treated at the province's facilities: no name, ID, phone or id on any page."""
    client = Client()
    pages = [reverse(name) for name in PAGES] + [_province_url(), _province_url(lang="en")]
    for url in pages:
        text = client.get(url).content.decode()
        for person in (lan_person, tuan_person):
            for value in (person.full_name, person.citizen_id, person.phone, str(person.pk)):
                assert value not in text, (url, value)
        assert "lan" not in re.findall(r"\b\w+\b", text)  # no staff user name either


def test_the_pages_read_no_client_table_and_a_bounded_number_of_queries(
    world: World, lan_person: Person, published: dict[str, Any]
) -> None:
    """The query count does not grow with the facilities, and no query reads a person, a
    case or anything else outside the public tables."""
    client = Client()
    with CaptureQueriesContext(connection) as few:
        assert client.get(_province_url()).status_code == 200
    for n in range(10):
        facility(f"Nhà Nhân ái thêm {n}", "nha-nhan-ai", world.units["c2"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(_province_url()).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
    for url in [reverse(name) for name in PAGES]:
        with CaptureQueriesContext(connection) as other:
            assert client.get(url).status_code == 200
        assert len(other.captured_queries) <= 1
        assert _tables(other.captured_queries) <= ALLOWED_TABLES
    assert _tables(many.captured_queries) <= ALLOWED_TABLES
    assert "facilities_facilityprofile" in _tables(many.captured_queries)


def test_the_pages_are_public_and_cacheable(published: dict[str, Any]) -> None:
    client = Client()
    for url in [reverse(name) for name in PAGES] + [_province_url()]:
        response = client.get(url)
        control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"public", "max-age=600"} <= control, url
        assert "private" not in control and "no-store" not in control
        assert response.has_header("ETag")
        assert not response.cookies, url  # no session, no CSRF cookie on a shared page
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304, url


def test_a_write_is_refused(published: dict[str, Any]) -> None:
    assert Client().post(_province_url()).status_code == 405


def test_a_signed_in_user_gets_no_store(world: World, published: dict[str, Any]) -> None:
    """A page shown to a signed-in user is never kept by a shared cache."""
    response = world.client("lan").get(_province_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_vietnamese_first_english_on_request(published: dict[str, Any]) -> None:
    client = Client()
    vi = client.get(reverse("directory:treatment")).content.decode()
    assert 'lang="vi"' in vi and "Hình thức cai nghiện" in vi
    en = client.get(reverse("directory:treatment") + "?lang=en")
    assert en["Content-Language"] == "en"
    text = en.content.decode()
    assert 'lang="en"' in text and "Forms of treatment" in text
    # The links keep the language; a made-up language falls back to Vietnamese.
    assert reverse("directory:rights") + "?lang=en" in text
    odd = client.get(reverse("directory:rights") + "?lang=xx").content.decode()
    assert 'lang="vi"' in odd


def test_the_public_pages_are_exempt_by_name_and_only_they(world: World) -> None:
    """The exemption from the second factor is an explicit list: the directory's pages and
    the sign-in pages, nothing by prefix."""
    assert {
        "directory:index",
        "directory:province",
        "directory:treatment",
        "directory:rights",
    } == PUBLIC_PAGES
    assert PUBLIC_PAGES <= ALLOWED_BEFORE_SECOND_FACTOR
    assert {
        "login",
        "logout",
        "set_language",
        "accounts:otp_verify",
        "accounts:otp_enrol",
    } == ALLOWED_BEFORE_SECOND_FACTOR - PUBLIC_PAGES
    half = signed_in_client(world.users["lan"], second_factor=False)
    assert half.get(reverse("directory:index")).status_code == 200
    assert half.get(reverse("home")).status_code == 302  # everything else still asks


def test_public_reads_record_no_event(published: dict[str, Any]) -> None:
    """Nothing personal is read, so nothing is recorded (docs/directory.md)."""
    before = Event.objects.count()
    Client().get(_province_url())
    Client().get(reverse("directory:index"))
    assert Event.objects.count() == before

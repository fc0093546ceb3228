"""The per-person history page: who changed which field when, decrypted only for viewers."""

from __future__ import annotations

from django.urls import reverse

from cases.models import Person
from tests.cases.test_person_views import _form
from tests.conftest import World


def test_history_shows_who_changed_which_field(world: World) -> None:
    lan = world.client("lan")
    lan.post(reverse("cases:person_create"), _form(world))
    person = Person.objects.get(registered_by=world.orgs["clinic_a"])
    lan.post(
        reverse("cases:person_edit", args=[person.pk]),
        _form(world, address="Bản Mới", phone="0912 000 222"),
        HTTP_X_REQUEST_ID="req-history-0001",
    )
    page = lan.get(reverse("cases:person_history", args=[person.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bản Thử" in html and "Bản Mới" in html  # before and after, decrypted
    assert "0912000222" in html
    assert "lan" in html
    record = person.history.order_by("-history_date").first()
    assert record is not None
    assert record.history_request_id == "req-history-0001"
    assert record.history_user == world.users["lan"]


def test_history_is_not_shown_out_of_scope(world: World, lan_person: Person) -> None:
    response = world.client("tuan").get(reverse("cases:person_history", args=[lan_person.pk]))
    assert response.status_code == 404
    assert "Trần Thị Bình" not in response.content.decode()

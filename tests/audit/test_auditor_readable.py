"""The auditor's pages say who and what in words a person reads (issue 23, item 14).

Unusual-activity rows name the account a change was about (a username, not a raw id); the
"who saw this person" rows for lists and searches say the person was in a list; the CSV
export names organisations and gives times to the second, with a byte-order mark so Excel
reads Vietnamese; and an auditor can start from a citizen ID, by POST (no number in a URL),
the lookup itself an event that holds no number.
"""

from __future__ import annotations

import csv
import io
import re

from django.conf import settings
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import Event
from audit.selectors import unusual_activity
from cases.models import Person, StaffProfile
from cases.roles import role_request_decide, staff_member_create
from tests.conftest import World


def _approve_new_caseworker(world: World) -> str:
    """quan creates a caseworker account; hoa approves it. Return the new username."""
    quan, hoa = world.users["quan"], world.users["hoa"]
    profile = StaffProfile(
        role="caseworker", organisation=world.orgs["clinic_a"], scope_unit=world.units["d1"]
    )
    _user, request, _path = staff_member_create(
        actor=quan,
        username="ngoc",
        full_name="Phạm Thị Ngọc",
        email="ngoc@example.org",
        profile=profile,
    )
    assert request is not None
    role_request_decide(actor=hoa, request=request, approve=True)
    return "ngoc"


def test_unusual_activity_names_the_account_a_change_was_about(world: World) -> None:
    new = _approve_new_caseworker(world)
    flags = [f for f in unusual_activity(viewer=world.users["an"]) if f.kind != "volume"]
    about_new = [f for f in flags if f.subject == new]
    assert about_new, [(f.kind, f.subject) for f in flags]
    # The approval of a brand-new account's case role stands out as such, by the approver.
    assert any(f.kind == "new_account_case_role" and f.username == "hoa" for f in about_new)
    page = world.client("an").get(reverse("audit:unusual_activity")).content.decode()
    assert f"({new})" in page
    assert not re.search(r"\([0-9a-f]{8}-[0-9a-f]{4}-", page), "a raw record id is shown"


def test_list_rows_in_who_saw_this_person_say_the_person_was_listed(
    world: World, lan_person: Person
) -> None:
    world.client("hoa").get(reverse("cases:case_list"))
    client = world.client("an")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("audit:event_list"), {"person": str(lan_person.pk)})
    rows = page.content.decode().split("<tr>")
    listed = [row for row in rows if ">hoa</a>" in row]
    assert listed, "hoa's list is not among the rows"
    assert all(f"{lan_person.short_id.upper()} " in row for row in listed), listed
    assert all("in a list of 1 person" in row for row in listed), listed


def test_csv_export_names_organisations_and_times_to_the_second(
    world: World, lan_person: Person
) -> None:
    world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    body = world.client("an").get(reverse("audit:event_export", args=["csv"]), {"user": "lan"})
    assert body.content.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel garbles Vietnamese"
    table = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    rows = table[1:]
    assert rows
    organisation = world.orgs["clinic_a"]
    assert {row[3] for row in rows} == {organisation.name}
    assert str(organisation.pk) not in body.content.decode("utf-8-sig")
    for row in rows:
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row[1]), row[1]


def test_an_auditor_starts_from_a_citizen_id(world: World, lan_person: Person) -> None:
    world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    client = world.client("an")
    response = client.post(reverse("audit:event_person_lookup"), {"citizen_id": "0101 9100 0123"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?person={lan_person.pk}")
    assert "010191000123" not in response["Location"]
    page = client.get(response["Location"])
    assert "lan" in {e.actor.username for e in page.context["page"].object_list if e.actor}
    lookup = Event.objects.get(action=AuditAction.PERSON_LOOKUP)
    assert lookup.actor == world.users["an"]
    assert lookup.detail["found"] == 1
    assert "010191000123" not in repr(lookup.detail)


def test_a_citizen_id_without_digits_is_an_error_not_everyone(
    world: World, lan_person: Person
) -> None:
    client = world.client("an")
    for text in ("không rõ", "%", "12345"):
        response = client.post(reverse("audit:event_person_lookup"), {"citizen_id": text})
        assert response.status_code == 400
        assert response.context["lookup"].errors["citizen_id"]
    assert not Event.objects.filter(action=AuditAction.PERSON_LOOKUP).exists()
    unknown = client.post(reverse("audit:event_person_lookup"), {"citizen_id": "001099000999"})
    assert unknown.status_code == 200
    assert unknown.context["lookup"].errors["citizen_id"]


def test_only_the_auditor_may_look_up_a_citizen_id(world: World, lan_person: Person) -> None:
    for name in ("lan", "hoa", "quan"):
        response = world.client(name).post(
            reverse("audit:event_person_lookup"), {"citizen_id": "010191000123"}
        )
        assert response.status_code == 403
    assert not Event.objects.filter(action=AuditAction.PERSON_LOOKUP).exists()


def test_the_organisation_filter_lists_organisations_and_filters_by_them(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """The filter's organisations come from `cases` (audit sits below it): names, not ids."""
    world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    world.client("tuan").get(reverse("cases:person_detail", args=[tuan_person.pk]))
    client = world.client("an")
    clinic_a = world.orgs["clinic_a"]
    page = client.get(reverse("audit:event_list"))
    options = page.context["form"].fields["organisation"].choices
    assert (clinic_a.pk, clinic_a.name) in options
    filtered = client.get(reverse("audit:event_list"), {"organisation": str(clinic_a.pk)})
    actors = {e.actor.username for e in filtered.context["page"].object_list if e.actor}
    assert actors == {"lan"}
    wrong = client.get(reverse("audit:event_list"), {"organisation": "not-an-id"})
    assert wrong.context["form"].errors["organisation"]
    assert wrong.context["page"] is None

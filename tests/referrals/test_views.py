"""The referral pages per role: the form from the case page, the referral's page and its
buttons, the queues, the person page's section, the start page's counts.

minh (commune officer, commune 98101) refers a resident held by his commune to clinic B;
hoa (supervisor, the province) reviews; tuan (clinic B) answers; lan (clinic A) is the
outsider who neither sent nor received it.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases.events import CaseAction
from cases.models import Case, Person
from referrals import actions
from referrals.models import Consent, Referral, State
from services.models import ServiceType
from tests.conftest import World
from tests.factories import make_case, make_person

REASON = "Cần điều trị methadone gần nhà"


@pytest.fixture
def resident(world: World) -> Person:
    return make_resident(world)


@pytest.fixture
def commune_case(resident: Person) -> Case:
    return Case.objects.get(person=resident)


def make_resident(world: World) -> Person:
    """Save a person of commune 98101 whose case the commune holds, assigned to minh."""
    person = make_person(
        full_name="Hà Văn Sáng",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["commune_x"],
    )
    make_case(person=person, organisation=world.orgs["commune_x"], assigned_to=world.users["minh"])
    return person


def _service() -> ServiceType:
    return ServiceType.objects.get(code="counselling")


def form_data(world: World, **changes: str) -> dict[str, str]:
    data = {
        "to_organisation": str(world.orgs["clinic_b"].pk),
        "service_type": str(_service().pk),
        "parts": ["identity", "treatment"],
        "reason": REASON,
        "consent": "new",
        "consent_method": "signed",
        "consent_given_on": "02/11/2026",
        "consent_given_by": "",
        "urgent": "",
        "urgent_reason": "",
    }
    return data | changes  # type: ignore[return-value]


def make_referral(world: World, case: Case, *, steps: tuple[tuple[str, str], ...] = ()) -> Any:
    """Create a referral by minh with consent and walk it through ``steps`` (action, who)."""
    consent = actions.consent_record(
        actor=world.users["minh"],
        case_id=case.pk,
        method="signed",
        given_on=datetime.date(2026, 11, 2),
    )
    referral = actions.referral_create(
        actor=world.users["minh"],
        case_id=case.pk,
        to_organisation=world.orgs["clinic_b"],
        service_type=_service(),
        parts=["treatment"],
        reason=REASON,
        consent=consent,
    )
    for action, who in steps:
        referral = actions.referral_act(
            actor=world.users[who],
            referral_id=referral.pk,
            action=action,
            comment="Đồng ý" if action != "complete" else "",
            outcome="Đã điều trị ổn định" if action == "complete" else "",
        )
    return referral


SENT = (("submit", "minh"), ("approve", "hoa"), ("send", "minh"))


def _detail(referral: Any) -> str:
    return reverse("referrals:referral_detail", args=[referral.pk])


# --- the form ------------------------------------------------------------------------------


def test_the_case_page_offers_a_referral(world: World, commune_case: Case) -> None:
    page = world.client("minh").get(reverse("cases:case_detail", args=[commune_case.pk]))
    assert reverse("referrals:referral_create", args=[commune_case.pk]) in page.content.decode()


def test_the_form_offers_parts_with_descriptions_and_consent(
    world: World, commune_case: Case
) -> None:
    page = world.client("minh").get(reverse("referrals:referral_create", args=[commune_case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="identity"' in html and 'value="notes"' in html
    assert 'value="new"' in html and 'value="none"' in html


def test_a_referral_with_inline_consent_is_saved_as_a_draft(
    world: World, commune_case: Case
) -> None:
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    response = world.client("minh").post(url, form_data(world))
    referral = Referral.objects.get(case=commune_case)
    assert response.status_code == 302
    assert response["Location"] == _detail(referral)
    assert referral.state == State.DRAFT
    assert sorted(referral.parts) == ["identity", "treatment"]
    assert referral.consent is not None
    assert Consent.objects.get(case=commune_case).method == "signed"


def test_no_consent_and_not_urgent_is_refused_and_keeps_the_input(
    world: World, commune_case: Case
) -> None:
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    response = world.client("minh").post(url, form_data(world, consent="none"))
    assert response.status_code == 200
    assert "consent" in response.context["form"].errors
    assert REASON in response.content.decode()
    assert not Referral.objects.exists() and not Consent.objects.exists()


def test_urgent_without_a_reason_is_refused(world: World, commune_case: Case) -> None:
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    data = form_data(world, consent="none", urgent="on", urgent_reason="")
    response = world.client("minh").post(url, data)
    assert "urgent_reason" in response.context["form"].errors
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("parts", "saved"),
    [
        (["methadone"], False),
        (["identity", "methadone"], False),
        (["treatment", "methadone"], True),
    ],
)
def test_methadone_is_shared_only_with_the_treatment(
    world: World, commune_case: Case, parts: list[str], saved: bool
) -> None:
    """The methadone pages need both parts: the form says so and keeps the input."""
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    response = world.client("minh").post(url, form_data(world, parts=parts))  # type: ignore[arg-type]
    assert Referral.objects.exists() is saved
    if not saved:
        assert response.context["form"].errors["parts"] == [
            "Điều trị methadone được chia sẻ cùng quá trình điều trị: hãy đánh dấu cả hai."
        ]
        assert response.context["form"]["parts"].value() == parts  # the input is kept


def test_an_existing_consent_is_offered_and_used(world: World, commune_case: Case) -> None:
    consent = actions.consent_record(
        actor=world.users["minh"],
        case_id=commune_case.pk,
        method="verbal",
        given_on=datetime.date(2026, 10, 1),
    )
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    assert str(consent.pk) in world.client("minh").get(url).content.decode()
    world.client("minh").post(url, form_data(world, consent=str(consent.pk)))
    assert Referral.objects.get(case=commune_case).consent_id == consent.pk
    assert Consent.objects.filter(case=commune_case).count() == 1


def test_an_outsider_cannot_open_the_form(world: World, commune_case: Case) -> None:
    """ASVS 8.2.2: a case outside the user's scope answers 404 and leaves a denial."""
    url = reverse("referrals:referral_create", args=[commune_case.pk])
    response = world.client("tuan").post(url, form_data(world))
    assert response.status_code == 404
    assert not Referral.objects.exists()
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor_id=world.users["tuan"].pk, object_id=str(commune_case.pk)
    ).exists()


# --- the referral's page -------------------------------------------------------------------


def test_the_sender_sees_state_parts_and_the_next_step(world: World, commune_case: Case) -> None:
    referral = make_referral(world, commune_case)
    page = world.client("minh").get(_detail(referral))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="action-submit"' in html
    assert 'data-testid="action-accept"' not in html
    assert [p.code for p in page.context["parts"]] == ["treatment"]


def test_an_outsider_guessing_the_url_gets_404_and_a_denial(
    world: World, commune_case: Case
) -> None:
    """ASVS 8.2.2, 8.3.1: a referral outside the user's reach is not found, and logged."""
    referral = make_referral(world, commune_case, steps=SENT)
    for who in ("lan", "an"):
        response = world.client(who).get(_detail(referral))
        assert response.status_code == 404
        assert Event.objects.filter(
            action=CaseAction.DENIED, actor_id=world.users[who].pk, object_id=str(referral.pk)
        ).exists()


def test_the_receiver_reaches_it_only_once_sent(world: World, commune_case: Case) -> None:
    referral = make_referral(world, commune_case, steps=SENT[:2])
    assert world.client("tuan").get(_detail(referral)).status_code == 404
    actions.referral_act(actor=world.users["minh"], referral_id=referral.pk, action="send")
    page = world.client("tuan").get(_detail(referral))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="action-accept"' in html
    assert "Hà Văn Sáng" not in html  # no identity before acceptance
    assert not page.context["sees_person"]


def test_a_step_by_the_page_moves_the_referral_and_shows_in_steps(
    world: World, commune_case: Case
) -> None:
    referral = make_referral(world, commune_case)
    url = reverse("referrals:referral_act", args=[referral.pk])
    response = world.client("minh").post(url, {"action": "submit", "comment": ""})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == State.SUBMITTED
    page = world.client("minh").get(_detail(referral))
    assert len(page.context["steps"]) >= 1


def test_an_action_not_open_to_the_user_is_refused_with_a_message(
    world: World, commune_case: Case
) -> None:
    """ASVS 8.2.1: a step the user may not take (minh accepting his own referral) is refused."""
    referral = make_referral(world, commune_case, steps=SENT)
    url = reverse("referrals:referral_act", args=[referral.pk])
    response = world.client("minh").post(url, {"action": "accept", "comment": "x"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    referral.refresh_from_db()
    assert referral.state == State.SENT


def test_returning_needs_a_comment_and_keeps_the_input(world: World, commune_case: Case) -> None:
    referral = make_referral(world, commune_case, steps=SENT[:1])
    url = reverse("referrals:referral_act", args=[referral.pk])
    response = world.client("hoa").post(url, {"action": "return", "comment": "", "outcome": ""})
    assert response.status_code == 200
    assert response.context["form"].errors
    referral.refresh_from_db()
    assert referral.state == State.SUBMITTED


def test_completing_needs_an_outcome_then_the_sender_sees_it(
    world: World, commune_case: Case
) -> None:
    referral = make_referral(world, commune_case, steps=(*SENT, ("accept", "tuan")))
    url = reverse("referrals:referral_act", args=[referral.pk])
    refused = world.client("tuan").post(url, {"action": "complete", "outcome": ""})
    assert "outcome" in refused.context["form"].errors
    done = world.client("tuan").post(url, {"action": "complete", "outcome": "Đã ổn định"})
    assert done.status_code == 302
    assert "Đã ổn định" in world.client("minh").get(_detail(referral)).content.decode()


# --- the queues -------------------------------------------------------------------------


def _queue(world: World, who: str, tab: str) -> list[Any]:
    page = world.client(who).get(reverse("referrals:queue"), {"tab": tab})
    assert page.status_code == 200
    return [row.referral.pk for row in page.context["page"].rows]


def test_each_queue_shows_the_right_rows_per_role(world: World, commune_case: Case) -> None:
    draft = make_referral(world, commune_case)
    waiting_review = make_referral(world, commune_case, steps=SENT[:1])
    sent = make_referral(world, commune_case, steps=SENT)
    assert set(_queue(world, "minh", "sent")) == {draft.pk, waiting_review.pk, sent.pk}
    assert _queue(world, "hoa", "review") == [waiting_review.pk]
    assert _queue(world, "tuan", "waiting") == [sent.pk]
    assert _queue(world, "tuan", "received") == [sent.pk]
    assert _queue(world, "lan", "waiting") == [] and _queue(world, "lan", "sent") == []
    assert _queue(world, "minh", "waiting") == []


def test_the_review_tab_is_the_supervisors_alone(world: World, commune_case: Case) -> None:
    make_referral(world, commune_case, steps=SENT[:1])
    page = world.client("minh").get(reverse("referrals:queue"), {"tab": "review"})
    assert page.context["tab"].slug != "review"
    assert world.client("an").get(reverse("referrals:queue")).status_code == 403


def test_a_queue_pages_by_cursor(world: World, commune_case: Case, monkeypatch: Any) -> None:
    monkeypatch.setattr("referrals.selectors.PAGE_SIZE", 2)
    made = {make_referral(world, commune_case).pk for _ in range(3)}
    first = world.client("minh").get(reverse("referrals:queue"), {"tab": "sent"})
    cursor = first.context["page"].next_cursor
    assert cursor
    second = world.client("minh").get(reverse("referrals:queue"), {"tab": "sent", "after": cursor})
    seen = [r.referral.pk for r in first.context["page"].rows + second.context["page"].rows]
    assert set(seen) == made and len(seen) == 3


# --- the person page and the start page ---------------------------------------------------


def test_the_person_page_lists_their_referrals(
    world: World, commune_case: Case, resident: Person
) -> None:
    referral = make_referral(world, commune_case)
    page = world.client("minh").get(reverse("cases:person_detail", args=[resident.pk]))
    html = page.content.decode()
    assert 'data-testid="person-referrals"' in html
    assert _detail(referral) in html


def test_the_start_page_counts_what_waits(world: World, commune_case: Case) -> None:
    make_referral(world, commune_case, steps=SENT)
    make_referral(world, commune_case, steps=SENT[:1])
    tuan = {t.url.split("tab=")[1]: t.value for t in _tallies(world, "tuan", "cases:my_work")}
    hoa = {t.url.split("tab=")[1]: t.value for t in _tallies(world, "hoa", "cases:person_search")}
    assert tuan["waiting"] == 1 and tuan["overdue"] == 0
    assert hoa["review"] == 1


def test_the_start_page_shows_only_counts_with_something_in_them(
    world: World, commune_case: Case
) -> None:
    """A card reading "0" is a line of a phone's screen with nothing to do: the start page
    shows a count only when something waits, and no block of counts when nothing does."""
    page = world.client("tuan").get(reverse("cases:my_work")).content.decode()
    assert 'data-testid="tallies"' not in page
    make_referral(world, commune_case, steps=SENT)
    page = world.client("tuan").get(reverse("cases:my_work")).content.decode()
    block = page.split('data-testid="tallies"', 1)[1].split("</section>", 1)[0]
    assert block.count("<li") == 1 and "tab=waiting" in block and "tab=overdue" not in block


def _tallies(world: World, who: str, url_name: str) -> list[Any]:
    from referrals.selectors import tallies

    page = world.client(who).get(reverse(url_name))
    assert page.status_code == 200 and 'data-testid="tallies"' in page.content.decode()
    return tallies(world.users[who])


# --- what the receiver sees of the person --------------------------------------------------


def test_the_receiver_sees_only_the_shared_parts(
    world: World, commune_case: Case, resident: Person
) -> None:
    """ASVS 8.2.3: after acceptance the receiver reads the person, but only the parts shared
    (here treatment, not identity nor notes): no name, ID number, phone or change history."""
    commune_case.notes = "Ghi chú riêng của xã"
    commune_case.save()
    make_referral(world, commune_case, steps=(*SENT, ("accept", "tuan")))
    tuan = world.client("tuan")
    page = tuan.get(reverse("cases:person_detail", args=[resident.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for secret in ("Hà Văn Sáng", resident.citizen_id, resident.phone):
        assert secret not in html
    case_page = tuan.get(reverse("cases:case_detail", args=[commune_case.pk])).content.decode()
    assert "Hà Văn Sáng" not in case_page and "Ghi chú riêng của xã" not in case_page
    history = tuan.get(reverse("cases:person_history", args=[resident.pk]))
    assert history.status_code in (403, 404)
    # The sender still sees everything.
    own = world.client("minh").get(reverse("cases:person_detail", args=[resident.pk]))
    assert "Hà Văn Sáng" in own.content.decode()


def test_the_receiver_sees_the_identity_when_it_is_shared(
    world: World, commune_case: Case, resident: Person
) -> None:
    referral = make_referral(world, commune_case, steps=SENT[:2])
    Referral.objects.filter(pk=referral.pk).update(parts=["identity", "treatment"])
    actions.referral_act(actor=world.users["minh"], referral_id=referral.pk, action="send")
    actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")
    page = world.client("tuan").get(reverse("cases:person_detail", args=[resident.pk]))
    assert "Hà Văn Sáng" in page.content.decode()


def test_the_receiver_loses_the_person_when_the_referral_is_completed(
    world: World, commune_case: Case, resident: Person
) -> None:
    """ASVS 8.2.2: access given by a referral ends with it; the next read is denied and logged."""
    make_referral(world, commune_case, steps=(*SENT, ("accept", "tuan"), ("complete", "tuan")))
    response = world.client("tuan").get(reverse("cases:person_detail", args=[resident.pk]))
    assert response.status_code == 404
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor_id=world.users["tuan"].pk, object_id=str(resident.pk)
    ).exists()


# --- changing a draft or a returned referral ----------------------------------------------


def test_the_sender_changes_a_returned_referral_and_submits_it_again(
    world: World, commune_case: Case
) -> None:
    referral = make_referral(world, commune_case, steps=(("submit", "minh"), ("return", "hoa")))
    url = reverse("referrals:referral_edit", args=[referral.pk])
    detail = world.client("minh").get(_detail(referral)).content.decode()
    assert url in detail
    form = world.client("minh").get(url).context["form"]
    assert form.initial["reason"] == REASON and form.initial["parts"] == ["treatment"]
    data = form_data(world, consent=str(referral.consent_id), reason="Lý do đã bổ sung")
    response = world.client("minh").post(url, {**data, "version": str(referral.version)})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.reason == "Lý do đã bổ sung" and referral.state == State.RETURNED
    assert sorted(referral.parts) == ["identity", "treatment"]


def test_a_stale_edit_is_refused_and_keeps_the_input(world: World, commune_case: Case) -> None:
    referral = make_referral(world, commune_case)
    url = reverse("referrals:referral_edit", args=[referral.pk])
    data = form_data(world, consent=str(referral.consent_id), reason="Bản của tôi")
    response = world.client("minh").post(url, {**data, "version": str(referral.version - 1 or 99)})
    assert response.status_code == 200
    assert "Bản của tôi" in response.content.decode()
    referral.refresh_from_db()
    assert referral.reason == REASON


def test_only_the_sender_may_change_it_and_only_while_a_draft(
    world: World, commune_case: Case
) -> None:
    """ASVS 8.2.2: a supervisor, a receiver or an outsider asking for the edit page gets 404,
    logged; once submitted, the sender too."""
    referral = make_referral(world, commune_case, steps=SENT)
    url = reverse("referrals:referral_edit", args=[referral.pk])
    for who in ("hoa", "tuan", "lan", "minh"):
        assert world.client(who).get(url).status_code == 404, who
        assert Event.objects.filter(
            action=CaseAction.DENIED, actor_id=world.users[who].pk, object_id=str(referral.pk)
        ).exists()

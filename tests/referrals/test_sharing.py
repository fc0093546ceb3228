"""The receiver sees exactly the parts the sender chose, and nothing once the referral ends.

Security tests: each tries to read what was not shared (or is no longer) and asserts the
refusal and its denial event (ASVS 8.2.2 object-level access, 8.2.3 field-level access).
"""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import access
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Case, CaseUserObjectPermission, StaffProfile
from cases.roles import staff_profile_save
from referrals import actions
from referrals.models import AccessKind, Consent, Part, Referral, ReferralAccess, State
from services.models import Modality, Screening, TreatmentEpisode
from tests.conftest import World
from tests.factories import make_user
from tests.services.test_screening_records import _assist_answers

from .support import make_referral


def _screen(world: World, case: Case) -> Screening:
    url = reverse("services:record_add", args=[case.pk, "screening-assist"])
    assert world.client("lan").post(url, _assist_answers()).status_code == 302
    return Screening.objects.get(case=case)


def _episode(world: World, case: Case) -> TreatmentEpisode:
    episode = TreatmentEpisode(
        case=case,
        modality=Modality.METHADONE,
        recorded_by=world.users["lan"],
        started_on=datetime.date(2026, 1, 15),
        provider=world.orgs["clinic_a"],
    )
    episode.save()
    return episode


def _accepted(world: World, case: Case, consent: Consent, parts: list[str]) -> Referral:
    referral = make_referral(world, case, state=State.SENT, consent=consent, parts=parts)
    return actions.referral_act(actor=world.users["tuan"], referral_id=referral.pk, action="accept")


def _denied(world: World, name: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=world.users[name]).count()


def test_the_receiver_sees_nothing_before_accepting(
    world: World, case: Case, consent: Consent
) -> None:
    make_referral(world, case, state=State.SENT, consent=consent, parts=list(Part.values))
    with pytest.raises(Http404):
        access.get_case_for_user(world.users["tuan"], case.pk)
    assert _denied(world, "tuan") == 1


def test_the_receiver_sees_exactly_the_chosen_parts(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.3: screenings and notes not shared are neither rendered nor readable."""
    screening = _screen(world, case)
    episode = _episode(world, case)
    _accepted(world, case, consent, [Part.IDENTITY, Part.TREATMENT])
    tuan = world.users["tuan"]
    assert access.parts_visible(tuan, case) == frozenset({"identity", "treatment"})
    assert access.parts_visible(world.users["lan"], case) is access.ALL

    page = world.client("tuan").get(reverse("cases:case_detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ghi chú thử" not in html  # the case notes were not shared
    assert "Trần Thị Bình" in html  # identity was
    episode_url = reverse("services:record_detail", args=["episode", episode.pk])
    screening_url = reverse("services:record_detail", args=["screening-assist", screening.pk])
    assert episode_url in html and screening_url not in html
    assert Event.objects.filter(action=CaseAction.CASE_READ, actor=tuan).count() == 1

    denied = _denied(world, "tuan")
    assert world.client("tuan").get(screening_url).status_code == 404
    assert _denied(world, "tuan") == denied + 1
    assert world.client("tuan").get(episode_url).status_code == 200

    person = world.client("tuan").get(reverse("cases:person_detail", args=[case.person_id]))
    assert "0987654321" in person.content.decode()  # contact details are in "identity"


def test_without_identity_the_receiver_sees_a_record_number_only(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.3: name, citizen ID, phone and address stay hidden (and undecrypted)."""
    _accepted(world, case, consent, [Part.SCREENINGS])
    tuan = world.users["tuan"]
    for url in (
        reverse("cases:person_detail", args=[case.person_id]),
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:case_list"),
    ):
        html = world.client("tuan").get(url).content.decode()
        for secret in ("Trần Thị Bình", "010191000123", "0987654321"):
            assert secret not in html, (url, secret)
    assert case.person.short_id in html
    history = world.client("tuan").get(reverse("cases:person_history", args=[case.person_id]))
    assert history.status_code == 404
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=tuan, detail__perm="view_whole"
    ).exists()


@pytest.mark.parametrize(("action", "name"), [("complete", "tuan"), ("revoke", "lan")])
def test_the_receiver_loses_access_when_the_referral_ends(
    world: World, case: Case, consent: Consent, action: str, name: str
) -> None:
    """ASVS 8.2.2: access ends with the referral; a later read is refused and logged."""
    referral = _accepted(world, case, consent, [Part.IDENTITY])
    tuan = world.users["tuan"]
    assert access.get_case_for_user(tuan, case.pk) == case
    actions.referral_act(
        actor=world.users[name],
        referral_id=referral.pk,
        action=action,
        comment="Kết thúc",
        outcome="Đã điều trị xong",
    )
    assert not CaseUserObjectPermission.objects.filter(user=tuan).exists()
    assert ReferralAccess.objects.get(referral=referral).ended_at is not None
    before = _denied(world, "tuan")
    with pytest.raises(Http404):
        access.get_case_for_user(tuan, case.pk)
    assert _denied(world, "tuan") == before + 1
    assert Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, detail__change="removed", detail__user=tuan.pk
    ).exists()


def test_access_ends_at_its_expiry(world: World, case: Case, consent: Consent) -> None:
    referral = _accepted(world, case, consent, [Part.IDENTITY])
    tuan = world.users["tuan"]
    grant = CaseUserObjectPermission.objects.get(user=tuan)
    days = actions.access_days()
    assert abs(grant.expires_at - (timezone.now() + datetime.timedelta(days=days))).seconds < 60
    past = timezone.now() - datetime.timedelta(minutes=1)
    CaseUserObjectPermission.objects.filter(pk=grant.pk).update(expires_at=past)
    ReferralAccess.objects.filter(referral=referral).update(expires_at=past)
    with pytest.raises(Http404):
        access.get_case_for_user(tuan, case.pk)
    assert access.parts_visible(tuan, case) == frozenset()


def test_withdrawing_consent_ends_the_receivers_access(
    world: World, case: Case, consent: Consent
) -> None:
    referral = _accepted(world, case, consent, [Part.IDENTITY])
    actions.consent_withdraw(
        actor=world.users["lan"], consent_id=consent.pk, on=timezone.localdate()
    )
    assert Referral.objects.get(pk=referral.pk).state == State.REVOKED
    with pytest.raises(Http404):
        access.get_case_for_user(world.users["tuan"], case.pk)


def test_the_receiver_adds_a_colleague_and_no_one_else(
    world: World, case: Case, consent: Consent
) -> None:
    vy = make_user("vy")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=vy,
            organisation=world.orgs["clinic_b"],
            role=Role.CASEWORKER,
            scope_unit=world.units["d2"],
        ),
    )
    referral = _accepted(world, case, consent, [Part.TREATMENT])
    with pytest.raises(Exception):  # noqa: B017  (a colleague of the sender is not the receiver's)
        actions.referral_staff_add(
            actor=world.users["tuan"], referral_id=referral.pk, user=world.users["mai"]
        )
    with pytest.raises(Http404):  # the sender's staff do not hand out the receiver's access
        actions.referral_staff_add(actor=world.users["minh"], referral_id=referral.pk, user=vy)
    actions.referral_staff_add(actor=world.users["tuan"], referral_id=referral.pk, user=vy)
    assert access.parts_visible(vy, case) == frozenset({"treatment"})
    assert ReferralAccess.objects.filter(kind=AccessKind.RECEIVER).count() == 2
    actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="complete", outcome="Xong"
    )
    assert not access.visible_cases(vy).filter(pk=case.pk).exists()


def test_lists_of_records_follow_the_parts_too(world: World, case: Case, consent: Consent) -> None:
    """ASVS 8.2.3: a list built from access.visible holds no row of a part not shared, and
    no referral of the case addressed to another organisation."""
    screening = _screen(world, case)
    episode = _episode(world, case)
    other = make_referral(world, case, state=State.SENT, consent=consent, to="commune_x")
    mine = _accepted(world, case, consent, [Part.TREATMENT])
    tuan = world.users["tuan"]
    assert list(access.visible(tuan, TreatmentEpisode)) == [episode]
    assert not access.visible(tuan, Screening).exists()
    assert list(access.visible(tuan, Referral)) == [mine]
    assert not access.visible(tuan, Consent).exists()
    with pytest.raises(Http404):
        access.get_for_user(tuan, Referral, other.pk)
    # The sender's staff see everything of their own case, as before.
    lan = world.users["lan"]
    assert access.visible(lan, Screening).get() == screening
    assert set(access.visible(lan, Referral)) == {other, mine}


def test_a_revoke_by_consent_withdrawal_tells_the_receiver(
    world: World, case: Case, consent: Consent
) -> None:
    """A step taken outside the referral page (withdrawn consent revokes the referral) still
    tells the receiver, whose access just ended; the text names no one."""
    from notifications.models import Notification

    referral = _accepted(world, case, consent, [Part.IDENTITY])
    before = Notification.objects.filter(recipient=world.users["tuan"]).count()
    actions.consent_withdraw(
        actor=world.users["lan"], consent_id=consent.pk, on=timezone.localdate()
    )
    told = Notification.objects.filter(recipient=world.users["tuan"]).order_by("-created_at")
    assert told.count() == before + 1
    note = told.first()
    assert note is not None and referral.short_id in note.text
    assert case.person.full_name not in note.text


SEARCHES = [
    ("name", "Trần Thị Bình"),
    ("name", "tran thi binh"),
    ("citizen_id", "010191000123"),
    ("old_id_number", "012345678"),
    ("phone", "0987654321"),
    ("phone", "+84 987 654 321"),
]


@pytest.mark.parametrize(
    ("parts", "found"),
    [
        ([Part.SCREENINGS], False),
        ([Part.TREATMENT, Part.NOTES], False),
        ([Part.IDENTITY], True),  # the control: what was shared may be searched for
    ],
)
def test_search_never_confirms_an_identifier_that_was_not_shared(
    world: World, case: Case, consent: Consent, parts: list[str], found: bool
) -> None:
    """ASVS 8.2.3 (field-level access), 8.2.2: a receiver without "identity" who guesses a
    name, citizen ID, old ID or phone learns nothing: the person is not listed (not even
    by record number) and the search event names nobody."""
    person = case.person
    person.old_id_number = "012345678"
    person.save()
    _accepted(world, case, consent, parts)
    client = world.client("tuan")
    detail_url = reverse("cases:person_detail", args=[person.pk])
    for kind, query in SEARCHES:
        response = client.post(reverse("cases:person_search"), {"kind": kind, "q": query})
        html = response.content.decode()
        event = Event.objects.filter(action=CaseAction.SEARCH, actor=world.users["tuan"]).latest(
            "seq"
        )
        assert (detail_url in html) is found, (kind, query)
        if not found:
            assert person.short_id not in html, (kind, query)
        assert event.detail["people"] == ([str(person.pk)] if found else []), (kind, query)


def _methadone(world: World, case: Case) -> TreatmentEpisode:
    """A methadone episode of the case at clinic A with a prescription and a week of doses."""
    from decimal import Decimal

    from services.methadone.models import Dose, DoseKind
    from tests.methadone.support import days_ago, methadone_episode

    episode = methadone_episode(case.person, clinic=world.orgs["clinic_a"], by=world.users["lan"])
    for n in range(1, 8):
        Dose.objects.create(
            episode=episode,
            given_on=days_ago(n),
            kind=DoseKind.OBSERVED,
            dose_mg=Decimal("61.5"),
            recorded_by=world.users["lan"],
        )
    return episode


NAME = "Trần Thị Bình"
IDENTIFIERS = (NAME, "010191000123", "0987654321")


def _page(world: World, url: str) -> str:
    response = world.client("tuan").get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    for secret in IDENTIFIERS:
        assert secret not in html, (url, secret)
    return html


def test_a_screenings_receiver_opens_a_screening_without_the_name(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.3: the screening page reached from the case timeline shows the record number,
    never the name the referral did not share."""
    screening = _screen(world, case)
    _accepted(world, case, consent, [Part.SCREENINGS])
    case_page = _page(world, reverse("cases:case_detail", args=[case.pk]))
    url = reverse("services:record_detail", args=["screening-assist", screening.pk])
    assert url in case_page  # the timeline links it
    assert case.person.short_id in _page(world, url)
    assert NAME in world.client("lan").get(url).content.decode()  # the holder sees it whole


def test_a_treatment_receiver_sees_no_name_and_no_methadone_data(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.3: with "treatment" only, the episode page shows no name, and the methadone
    episode and figures pages (prescriptions, doses: the "methadone" part) answer 404 with
    a denial event; no prescription or dose is readable through access.visible."""
    from services.methadone.models import Dose, Prescription

    episode = _methadone(world, case)
    _accepted(world, case, consent, [Part.TREATMENT])
    tuan = world.users["tuan"]
    _page(world, reverse("services:record_detail", args=["episode", episode.pk]))
    for url in (
        reverse("methadone:episode", args=[episode.pk]),
        reverse("methadone:episode_figures", args=[episode.pk]),
    ):
        before = _denied(world, "tuan")
        assert world.client("tuan").get(url).status_code == 404, url
        assert _denied(world, "tuan") == before + 1
        assert Event.objects.filter(
            action=CaseAction.DENIED, actor=tuan, object_id=str(episode.pk)
        ).exists()
    assert not access.visible(tuan, Prescription).exists()
    assert not access.visible(tuan, Dose).exists()
    case_page = _page(world, reverse("cases:case_detail", args=[case.pk]))
    assert "61,5" not in case_page and "60 mg" not in case_page  # no prescription entry


def test_a_methadone_receiver_reads_the_doses_but_not_the_name(
    world: World, case: Case, consent: Consent
) -> None:
    """ASVS 8.2.3: "treatment" and "methadone" open the methadone pages, still without the
    name the referral did not share."""
    episode = _methadone(world, case)
    _accepted(world, case, consent, [Part.TREATMENT, Part.METHADONE])
    html = _page(world, reverse("methadone:episode", args=[episode.pk]))
    assert "61.5 mg" in html or "61,5 mg" in html
    assert case.person.short_id in html
    _page(world, reverse("methadone:episode_figures", args=[episode.pk]))


def test_the_episode_page_links_the_methadone_pages_only_when_shared(
    world: World, case: Case, consent: Consent
) -> None:
    episode = _methadone(world, case)
    referral = _accepted(world, case, consent, [Part.TREATMENT])
    url = reverse("services:record_detail", args=["episode", episode.pk])
    link = reverse("methadone:episode", args=[episode.pk])
    assert link not in _page(world, url)
    assert link in world.client("lan").get(url).content.decode()
    Referral.objects.filter(pk=referral.pk).update(parts=[Part.TREATMENT, Part.METHADONE])
    assert link in _page(world, url)

"""Reads of referrals: the queues, one referral's page, the person page's list, the start
page's counts and the figures. Every row is reached through ``cases.access``.

A receiving organisation sees a referral addressed to it once it is sent, before any grant
on the case: ``reachable`` adds those rows (``addressed_to``) to the referrals of the cases
the user may see. What the receiver then sees of the *case* is decided by ``cases.access``
alone (the grant given on acceptance, limited to the shared parts).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can, has_role
from accounts.models import User
from cases import access, timeline
from cases import capabilities as caps
from cases.choices import CaseStatus, Role
from cases.models import AdministrativeUnit, Case, Organisation, Person
from core import navigation
from core.paging import after_cursor, cursor_of

from . import workflow
from .models import AccessKind, Consent, Part, Referral, ReferralAccess, ReferralStep, State

PAGE_SIZE = 50
# A referral is waiting on its receiver (an answer, then an outcome) in these states; past
# ``answer_due_on`` it is overdue.
AWAITING_RECEIVER = (State.SENT, State.ACCEPTED)
# States a receiver sees: from the moment it is sent (a revoked one only if it was sent).
RECEIVED_STATES = (State.SENT, State.ACCEPTED, State.DECLINED, State.COMPLETED, State.REVOKED)
CLOSED_STATES = (State.DECLINED, State.COMPLETED, State.REVOKED)
RELATED = (
    "service_type",
    "from_organisation__unit",
    "to_organisation__unit",
    "case__person",
)

# What each part holds, in words that add to its label (never the label again).
PART_HELP: dict[str, str | Promise] = {
    Part.IDENTITY: _("name, citizen ID number, phone, address and family contact"),
    Part.SCREENINGS: _("the instrument, day, score and level of each screening"),
    Part.TREATMENT: _("rehabilitation and treatment episodes, their stages and outcomes"),
    Part.NOTES: _("what staff wrote in the case notes and follow-ups"),
    Part.METHADONE: _("prescriptions, daily doses and adherence (shared with the treatment)"),
}


def today() -> datetime.date:
    return timezone.localdate()


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Return the working days from ``start`` to ``end`` (Vietnam's public holidays off)."""
    from calendar_days.workdays import working_days_between

    return max(0, working_days_between(start, end))


# --- who reaches which referral ---------------------------------------------------------


def addressed_to(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals sent to the user's organisation (none for non-content roles)."""
    profile = access.profile_of(user)
    if profile is None or not can(user, caps.CASE_VIEW):
        return Referral.objects.none()
    return Referral.objects.filter(
        to_organisation_id=profile.organisation_id,
        state__in=RECEIVED_STATES,
        sent_on__isnull=False,
    )


def reachable(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals the user may open: of cases they see, sent to them, or theirs
    to review (the workflow's supervisor, whose area holds the sending organisation) or to
    oversee once sent (a supervisor whose area holds the receiving organisation)."""
    reviewed = Referral.objects.filter(
        workflow.supervised(user) | workflow.supervised_receiving(user)
    )
    return access.visible(user, Referral) | addressed_to(user) | reviewed


def openable(user: access.AnyUser, referral_ids: list[Any]) -> set[UUID]:
    """Return which of these referrals the user may open (``get_referral_for_user``'s rule)."""
    if not referral_ids:  # most timelines have none: no rule to build
        return set()
    rows = access.limit_to_parts(user, Referral, reachable(user).filter(pk__in=referral_ids))
    return set(rows.values_list("pk", flat=True))


def get_referral_for_user(user: access.AnyUser, referral_id: UUID) -> Referral:
    """Return one referral the user may open (recording the read), else deny and 404."""
    rows = reachable(user).select_related(*RELATED, "consent")
    return access.get_for_user(user, Referral, referral_id, "view", queryset=rows)


def get_referral_to_edit(user: access.AnyUser, referral_id: UUID) -> Referral:
    """Return a draft or returned referral of the user's organisation that they may change
    (recording the read), else deny and 404."""
    profile = access.profile_of(user)
    rows = access.visible(user, Referral, "change").filter(
        from_organisation_id=getattr(profile, "organisation_id", None),
        state__in=workflow.EDITABLE_STATES,
    )
    return access.get_for_user(user, Referral, referral_id, "change", queryset=rows)


def get_referral_to_share(user: access.AnyUser, referral_id: UUID) -> Referral:
    """Return an accepted referral to which the user may add a colleague (its handlers, or a
    supervisor over the receiver), recording the read; else deny and 404."""
    rows = reachable(user).select_related(*RELATED)
    found = rows.filter(pk=referral_id).first()
    if found is None or not workflow.may_add_staff(user, found):
        rows = rows.none()
    return access.get_for_user(user, Referral, referral_id, "change", queryset=rows)


def get_consent_to_withdraw(user: access.AnyUser, consent_id: UUID) -> Consent:
    """Return a consent of a case the user may change (recording the read), else deny and
    404: the rule of ``actions.consent_withdraw``."""
    rows = access.visible(user, Consent, "change").select_related("case__person")
    return access.get_for_user(user, Consent, consent_id, "change", queryset=rows)


def may_withdraw(user: access.AnyUser, consent: Consent | None) -> bool:
    """Return whether to offer recording the consent's withdrawal (a probe, no event)."""
    if consent is None or not consent.in_force:
        return False
    return access.visible(user, Consent, "change").filter(pk=consent.pk).exists()


def resting_on(viewer: access.AnyUser, consent: Consent) -> list[Referral]:
    """Return the open referrals that name the consent (what its withdrawal stops)."""
    rows = access.visible(viewer, Referral).filter(
        consent_id=consent.pk, state__in=workflow.OPEN_STATES
    )
    return list(rows.select_related("service_type", "to_organisation").order_by("created_at"))


def referral_staff(referral: Referral) -> list[ReferralAccess]:
    """Return the receiver's staff the referral opens the case to now, with who added them."""
    rows = ReferralAccess.objects.filter(
        referral_id=referral.pk, kind=AccessKind.RECEIVER, ended_at__isnull=True
    )
    return list(rows.select_related("user", "given_by").order_by("given_at"))


def colleagues_to_add(referral: Referral) -> QuerySet[Any]:
    """Return the receiving organisation's staff who may hold a case and do not yet see it
    through the referral."""
    receivers = access.assignable_staff(Organisation.objects.filter(pk=referral.to_organisation_id))
    already = ReferralAccess.objects.filter(
        referral_id=referral.pk, kind=AccessKind.RECEIVER, ended_at__isnull=True
    ).values("user_id")
    return receivers.exclude(pk__in=already)


def may_edit(user: access.AnyUser, referral: Referral) -> bool:
    """Return whether the user may change the referral now (its sender, draft or returned)."""
    editable = referral.state in workflow.EDITABLE_STATES
    return editable and workflow.SENDER in workflow.parties(user, referral)


def may_review(user: access.AnyUser) -> bool:
    """Return whether the user reviews referrals (the supervisors)."""
    return has_role(user, Role.SUPERVISOR)


# --- the queues -------------------------------------------------------------------------


def review_queue(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals waiting for review that the user may approve or return."""
    if not may_review(user):
        return Referral.objects.none()
    return Referral.objects.filter(workflow.supervised(user), state=State.SUBMITTED)


def sent_by_us(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals the user's organisation made (drafts included)."""
    profile = access.profile_of(user)
    if profile is None:
        return Referral.objects.none()
    return access.visible(user, Referral).filter(from_organisation_id=profile.organisation_id)


def received_by_us(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals sent to the user's organisation."""
    return addressed_to(user)


def waiting_for_us(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the referrals sent to the user's organisation that wait for its answer."""
    return addressed_to(user).filter(state=State.SENT)


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str | Promise
    rows: Callable[[access.AnyUser], QuerySet[Referral]]
    order: tuple[str, ...]
    allowed: Callable[[access.AnyUser], bool]


def _content(user: access.AnyUser) -> bool:
    return can(user, caps.CASE_VIEW)


TABS: dict[str, Tab] = {
    tab.slug: tab
    for tab in (
        Tab("waiting", _("Waiting for our answer"), waiting_for_us, ("sent_on", "id"), _content),
        Tab("review", _("Waiting for review"), review_queue, ("created_at", "id"), may_review),
        Tab("sent", _("Sent by us"), sent_by_us, ("-created_at", "-id"), _content),
        Tab("received", _("Received by us"), received_by_us, ("-sent_on", "-id"), _content),
    )
}


def tabs_for(user: access.AnyUser) -> list[Tab]:
    """Return the queue tabs the user may open, in order."""
    return [tab for tab in TABS.values() if tab.allowed(user)]


@dataclass(frozen=True)
class Row:
    referral: Referral
    days_waiting: int | None
    overdue: bool

    @property
    def state_label(self) -> str:
        return str(self.referral.get_state_display())


def waiting_since(referral: Referral) -> datetime.date | None:
    """Return the day the referral started waiting on its current actor, or None if closed."""
    if referral.state in CLOSED_STATES:
        return None
    if referral.state in AWAITING_RECEIVER and referral.sent_on:
        return referral.sent_on
    return timezone.localdate(referral.updated_at)


def is_overdue(referral: Referral, on: datetime.date | None = None) -> bool:
    """Return whether the receiver's answer or outcome is past its due day."""
    due = referral.answer_due_on
    return referral.state in AWAITING_RECEIVER and due is not None and due < (on or today())


def row_of(referral: Referral, on: datetime.date) -> Row:
    since = waiting_since(referral)
    days = working_days(since, on) if since is not None else None
    return Row(referral, days, is_overdue(referral, on))


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str | None
    # The people of these rows whom the viewer may see by name (``people_named``).
    named: frozenset[UUID] = frozenset()


def people_named(viewer: access.AnyUser, referrals: list[Referral]) -> frozenset[UUID]:
    """Return the people of these referrals a list may show the viewer by name: those the
    viewer sees, not masked (a victim for a supervisor) and whose identity is shared with
    them (``cases.selectors.masked_people``, the access layer's rule for lists); the others
    show by record number. Names shown are recorded as a listing of those people."""
    from audit.reads import record_read
    from cases.events import CaseAction
    from cases.selectors import masked_people

    ids = list({r.case.person_id for r in referrals})
    if not ids:
        return frozenset()
    seen = list(access.visible_people(viewer).filter(pk__in=ids).values_list("pk", flat=True))
    named = frozenset(seen) - masked_people(viewer=viewer, person_ids=seen)
    if named:
        record_read(
            actor=viewer,
            action=CaseAction.PEOPLE_LIST,
            detail={"list": "referrals", "people": sorted(str(p) for p in named)},
        )
    return named


def queue_page(*, viewer: access.AnyUser, tab: Tab, after: str | None = None) -> Page:
    """Return one page (50 rows) of a queue, continuing after the cursor if given."""
    rows = tab.rows(viewer).order_by(*tab.order)
    if tab.order[0].lstrip("-") == "sent_on":
        rows = rows.filter(sent_on__isnull=False)
    rows = after_cursor(rows, tab.order, after) or rows
    found = list(rows.select_related(*RELATED)[: PAGE_SIZE + 1])
    on = today()
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    cursor = cursor_of(found[-1], tab.order) if more else None
    return Page([row_of(r, on) for r in found], cursor, people_named(viewer, found))


# --- one referral -------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedPart:
    code: str
    label: str | Promise
    help: str | Promise


def shared_parts(referral: Referral) -> list[SharedPart]:
    """Return what the sender chose to share, with plain-language descriptions."""
    return [
        SharedPart(code, Part(code).label, PART_HELP.get(code, ""))
        for code in referral.parts
        if code in Part.values
    ]


def steps_of(referral: Referral) -> list[ReferralStep]:
    """Return the referral's steps in order, with their actors."""
    return list(ReferralStep.objects.filter(referral=referral).select_related("actor"))


def may_see_person(viewer: access.AnyUser, referral: Referral) -> bool:
    """Return whether the viewer may open the referral's person (no event: a probe)."""
    return access.visible_people(viewer).filter(pk=referral.case.person_id).exists()


# --- around the case and the person --------------------------------------------------------


def consents_in_force(*, case: Case) -> QuerySet[Consent]:
    """Return the consents of a case (already fetched through cases.access) not withdrawn."""
    return Consent.objects.filter(case_id=case.pk, withdrawn_on__isnull=True).order_by("-given_on")


def person_referrals(viewer: access.AnyUser, person: Person) -> timeline.PersonSection | None:
    """Return the person page's "Referrals" section: their referrals the viewer may see."""
    if not can(viewer, caps.CASE_VIEW):
        return None
    # The person's cases the viewer sees, as ids: then one plain statement over the referrals
    # of those cases (the rule again, in an EXISTS beside a six-table join, took PostgreSQL
    # ~13 ms to plan on every person page). The parts limit still applies.
    cases = list(
        access.visible_cases(viewer).filter(person_id=person.pk).values_list("pk", flat=True)
    )
    of_cases = Referral.objects.filter(case_id__in=cases)
    rows = (
        access.limit_to_parts(viewer, Referral, of_cases)
        .select_related("service_type", "from_organisation", "to_organisation")
        .order_by("-created_at")[:PAGE_SIZE]
    )
    on = today()
    return timeline.PersonSection(
        _("Referrals"),
        "referrals/includes/person_referrals.html",
        [row_of(r, on) for r in rows],
        "person-referrals",
    )


@dataclass(frozen=True)
class ConsentRow:
    consent: Consent
    may_withdraw: bool


def person_consents(viewer: access.AnyUser, person: Person) -> timeline.PersonSection | None:
    """Return the person page's "Consent to share" section (none without a consent): each
    consent the viewer may see, with a link to record its withdrawal where they may."""
    if not can(viewer, caps.CASE_VIEW):
        return None
    cases = list(
        access.visible_cases(viewer).filter(person_id=person.pk).values_list("pk", flat=True)
    )
    of_cases = Consent.objects.filter(case_id__in=cases)
    rows = list(access.limit_to_parts(viewer, Consent, of_cases).order_by("-given_on")[:PAGE_SIZE])
    if not rows:
        return None
    in_force = [c.pk for c in rows if c.in_force]
    changeable = set(
        access.visible(viewer, Consent, "change")
        .filter(pk__in=in_force)
        .values_list("pk", flat=True)
    )
    return timeline.PersonSection(
        _("Consent to share"),
        "referrals/includes/person_consents.html",
        [ConsentRow(c, c.pk in changeable) for c in rows],
        "person-consents",
    )


def add_links(viewer: access.AnyUser, case: Any) -> list[timeline.AddLink]:
    """Offer "Referral" on an open case the viewer may change."""
    if case.status != CaseStatus.OPEN or not can(viewer, caps.CASE_CHANGE, case):
        return []
    return [timeline.AddLink(_("Referral"), reverse("referrals:referral_create", args=[case.pk]))]


# --- the start page's counts ---------------------------------------------------------------


def _queue_url(slug: str) -> str:
    return reverse("referrals:queue") + f"?tab={slug}"


def tallies(user: access.AnyUser) -> list[navigation.Tally]:
    """Return the start page's referral counts: waiting for our answer or review, overdue."""
    if not can(user, caps.CASE_VIEW):
        return []
    found: list[navigation.Tally] = []
    if can(user, caps.MY_WORK):
        waiting = waiting_for_us(user).count()
        found.append(navigation.Tally(_("waiting for our answer"), waiting, _queue_url("waiting")))
    if may_review(user):
        review = review_queue(user).count()
        found.append(navigation.Tally(_("waiting for review"), review, _queue_url("review")))
    overdue = overdue_count(user)
    found.append(navigation.Tally(_("overdue referrals"), overdue, _queue_url("overdue"), True))
    return found


def overdue(user: access.AnyUser) -> QuerySet[Referral]:
    """Return the overdue referrals the user's organisation sent or received (or reviews)."""
    late = Q(state__in=AWAITING_RECEIVER, answer_due_on__lt=today())
    mine = addressed_to(user).filter(late) | sent_by_us(user).filter(late)
    if may_review(user):
        mine = mine | access.visible(user, Referral).filter(late)
    return mine


def overdue_count(user: access.AnyUser) -> int:
    return overdue(user).count()


TABS["overdue"] = Tab("overdue", _("Overdue"), overdue, ("answer_due_on", "id"), _content)


# --- notifications: who acts next ------------------------------------------------------


def reviewers_of(referral: Referral) -> list[Any]:
    """Return the active supervisors whose scope unit holds the sending organisation."""
    # The units on the way from the sending organisation's unit up to the province.
    path = referral.from_organisation.unit.path
    prefixes = ["/".join(path.split("/")[:n]) + "/" for n in range(2, path.count("/") + 1)]
    units = AdministrativeUnit.objects.filter(path__in=prefixes)
    return list(
        User.objects.filter(
            is_active=True,
            is_service_account=False,
            groups__name=Role.SUPERVISOR,
            staff__scope_unit__in=units,
        ).distinct()
    )


def staff_of(organisation_id: UUID, *, exclude: Iterable[Any] = ()) -> list[Any]:
    """Return the active staff of an organisation who hold case content."""
    skip = {getattr(u, "pk", u) for u in exclude}
    rows = User.objects.filter(
        is_active=True,
        is_service_account=False,
        staff__organisation_id=organisation_id,
        groups__name__in=[Role.CASEWORKER, Role.COMMUNE_OFFICER],
    ).distinct()
    return [u for u in rows if u.pk not in skip]

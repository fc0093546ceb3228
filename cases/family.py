"""Family and household links between people (issue 28, decision D42): reads and writes.

A link says that ``relative`` is the ``person``'s parent, child, spouse, guardian, ward or
household member, read from both ends (the reverse relation is shown on the relative's
page). A family member may be registered without a case (``Person.family_only``): then no
rule on the person row reaches them, only a role's rule that reaches a linked client
(``cases.access.rules._family_clause``).

A page lists a link only when its viewer sees both ends (``access.visible_people``) and may
see the identity of the page's person: a link whose other end the viewer cannot see is left
out entirely, not shown as "a relative you may not see" (that person is a client of another
organisation, and the link alone would say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit import actions as audit
from core.editing import OVERRIDE

from . import access, selectors, timeline
from . import capabilities as caps
from .actions import PersonData, _assign, _save_person
from .events import CaseAction
from .models import REVERSE_RELATION, FamilyLink, Person, Relation


@dataclass(frozen=True)
class Relative:
    """One family link as the page of one of its two people shows it."""

    link: FamilyLink
    other: Person
    relation: str  # what ``other`` is to the page's person (a ``Relation`` label)
    is_contact: bool  # ``other`` is the contact person for the page's person
    contact_for: bool  # the page's person is the contact person for ``other``
    removable: bool = False  # the viewer may remove the link (they may change its person)


def family_of(*, viewer: access.AnyUser, person: Person) -> list[Relative]:
    """Return the person's family links whose other end the viewer sees (none if the
    viewer may not see who the person is: family is identity and contact data)."""
    if not access.identity_shown(viewer, person):
        return []
    links = list(
        FamilyLink.objects.filter(Q(person_id=person.pk) | Q(relative_id=person.pk))
        .select_related("person", "relative")
        .order_by("created_at")
    )
    others = [link.relative_id if link.person_id == person.pk else link.person_id for link in links]
    seen = set(access.visible_people(viewer).filter(pk__in=others).values_list("pk", flat=True))
    found = []
    for link in links:
        forward = link.person_id == person.pk
        other = link.relative if forward else link.person
        if other.pk not in seen:
            continue
        relation = Relation(link.relation) if forward else REVERSE_RELATION[Relation(link.relation)]
        found.append(
            Relative(
                link=link,
                other=other,
                relation=str(relation.label),
                is_contact=link.contact and forward,
                contact_for=link.contact and not forward,
                removable=access.can(viewer, caps.PERSON_CHANGE, link.person),
            )
        )
    return found


def relative_by_citizen_id(*, viewer: access.AnyUser, number: str) -> Person | None:
    """Return the person holding this citizen ID number if the viewer sees them, else None
    (whether someone else holds it is not said)."""
    ids = selectors.person_ids_with_citizen_id(number)
    return access.visible_people(viewer).filter(pk__in=ids).first() if ids else None


def _link(
    actor: access.AnyUser, person: Person, relative: Person, relation: str, contact: bool
) -> FamilyLink:
    pair = Q(person_id=person.pk, relative_id=relative.pk)
    pair |= Q(person_id=relative.pk, relative_id=person.pk)
    if FamilyLink.objects.filter(pair).exists():
        raise ValidationError(_("These two people are already linked."))
    assert isinstance(actor, User)  # noqa: S101  (the access check above needs a staff member)
    link = FamilyLink(
        person=person, relative=relative, relation=relation, contact=contact, added_by=actor
    )
    link.full_clean()
    link._history_user = actor  # type: ignore[attr-defined]
    link.save()
    audit.record(
        actor=actor, action=CaseAction.FAMILY_LINKED, obj=link, detail={"relation": relation}
    )
    return link


def family_link_add(
    *, actor: access.AnyUser, person: Person, relative: Person, relation: str, contact: bool
) -> FamilyLink:
    """Link a person the actor may change to a relative the actor sees, and record it."""
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    relative = access.get_person_for_user(actor, relative.pk, "view", record_read=False)
    with transaction.atomic():
        return _link(actor, person, relative, relation, contact)


def family_member_register(
    *, actor: access.AnyUser, person: Person, data: PersonData, relation: str, contact: bool
) -> FamilyLink:
    """Register a family member without a case and link them to the person, in one
    transaction; only those who reach the person by a role's rule will see them."""
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    profile = access.profile_of(actor)
    if profile is None or not access.can(actor, caps.PERSON_ADD):
        access.deny(actor, caps.PERSON_ADD, object_type="person")
        raise PermissionDenied
    relative = Person(registered_by=profile.organisation, family_only=True)
    _assign(relative, data)
    # The person's own save step first: its refusal of a citizen ID already on file records
    # that lookup after its transaction, which an outer transaction would roll back.
    relative = _save_person(actor, relative, CaseAction.PERSON_CREATED, OVERRIDE)
    with transaction.atomic():
        return _link(actor, person, relative, relation, contact)


def family_link_remove(*, actor: access.AnyUser, link_id: Any) -> FamilyLink:
    """Remove a link whose person the actor may change and whose both ends they see (a link
    written by mistake), and record it; the history keeps the removed row."""
    link = access.get_for_user(actor, FamilyLink, link_id, "change", record_read=False)
    if not access.visible_people(actor).filter(pk=link.relative_id).exists():
        access.deny(actor, "family.remove", obj=link)
        raise Http404
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=CaseAction.FAMILY_UNLINKED,
            obj=link,
            detail={"relation": link.relation},
        )
        link._history_user = actor  # type: ignore[attr-defined]
        link.delete()
    return link


def person_section(viewer: access.AnyUser, person: Person) -> timeline.PersonSection | None:
    """Return the person page's "Family and household" section (none for a viewer who may
    not see who the person is)."""
    if not access.identity_shown(viewer, person):
        return None
    return timeline.PersonSection(
        title=gettext_lazy("Family and household"),
        template="cases/includes/family.html",
        rows=family_of(viewer=viewer, person=person),
        test_id="family",
    )

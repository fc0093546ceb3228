"""Read people and cases for a user, always through cases.access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast
from uuid import UUID

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import AnyUser
from audit.reads import record_read
from cases.events import CaseAction
from core import normalize
from core.fields import BlindIndexField
from core.paging import CappedPaginator, after_cursor, cursor_of, runs_one_way

from . import access, dues, roles
from .choices import CaseStatus, Role
from .models import Case, EmergencyAccess, Person, RoleChangeRequest

SearchKind = Literal["citizen_id", "old_id_number", "phone", "name"]
# A person's identifying fields, as the API and the exchange document give them (only where
# the pages would show them: ``access.identity_shown``, ``masked_people``).
IDENTITY = (
    "full_name",
    "aliases",
    "citizen_id",
    "old_id_number",
    "birth_date",
    "phone",
    "address",
    "family_contact",
)

SEARCH_LIMIT = 50
# Candidates read per statement: a page and a few more, for the false positives a truncated
# blind index returns on purpose (about one per lookup at the design size).
SEARCH_BATCH = SEARCH_LIMIT + 10


@dataclass(frozen=True)
class SearchResult:
    """The first page of people a search found, and whether more people match."""

    people: list[Person]
    more: bool = False


def _index(field_name: str, *values: object) -> int | None:
    field = cast(BlindIndexField, Person._meta.get_field(field_name))
    return field.compute(*values)


def _candidates(
    people: QuerySet[Person], kind: SearchKind, query: str, birth_year: int | None
) -> tuple[QuerySet[Person], Callable[[Person], bool]]:
    """Return the blind-index candidates of a search and the test a true match passes.

    A query that normalises to nothing (a number without digits, a name of spaces) has no
    index; it matches nobody, never the people whose index is empty (``IS NULL``).
    """
    if kind in ("citizen_id", "old_id_number"):
        wanted = normalize.digits(query)
        column = f"{kind}_index"
        index = _index(column, query)
        candidates = people.filter(**{column: index})
        return _or_none(candidates, wanted, index), (
            lambda p: normalize.digits(getattr(p, kind)) == wanted
        )
    if kind == "phone":
        wanted = normalize.phone(query)
        index = _index("phone_index", query)
        return _or_none(people.filter(phone_index=index), wanted, index), (
            lambda p: normalize.phone(p.phone) == wanted
        )
    wanted = normalize.fold_text(query)
    if birth_year is None:
        index = _index("name_index", query)
        candidates = people.filter(name_index=index)
    else:
        index = _index("name_year_index", query, birth_year)
        candidates = people.filter(name_year_index=index, birth_year=birth_year)
    return _or_none(candidates, wanted, index), (
        lambda p: normalize.fold_text(p.full_name) == wanted
    )


def _or_none(candidates: QuerySet[Person], wanted: str, index: int | None) -> QuerySet[Person]:
    """Return no candidate for a query that normalised to nothing (it has no index)."""
    return candidates if wanted and index is not None else candidates.none()


def _first_page(
    viewer: access.AnyUser, candidates: QuerySet[Person], is_match: Callable[[Person], bool]
) -> SearchResult:
    """Return the first SEARCH_LIMIT true matches in id order, decrypting no further.

    Candidates come in batches by primary key; each is decrypted and tested until the page
    and one more match are found, so a name thousands of people share costs a page, not
    thousands of decryptions. A match whose identity the viewer was not given (reached only
    through a grant that did not share it) is no match: searching by a name, citizen ID or
    phone must not confirm an identifier that was not shared. Asked once per batch, of its
    matches only, and free for a viewer without one-by-one grants.
    """
    matches: list[Person] = []
    batch = candidates.order_by("pk")
    while True:
        rows = list(batch[:SEARCH_BATCH])
        found = [person for person in rows if is_match(person)]
        hidden = access.identity_hidden(viewer, [person.pk for person in found], visible=True)
        for person in found:
            if person.pk in hidden:
                continue
            matches.append(person)
            if len(matches) > SEARCH_LIMIT:
                return SearchResult(matches[:SEARCH_LIMIT], more=True)
        if len(rows) < SEARCH_BATCH:
            return SearchResult(matches)
        batch = candidates.filter(pk__gt=rows[-1].pk).order_by("pk")


def person_search_page(
    *, viewer: access.AnyUser, kind: SearchKind, query: str, birth_year: int | None = None
) -> SearchResult:
    """Find visible people by exact citizen ID, phone or name (+ birth year) via blind indexes.

    The truncated index returns a few candidates on purpose; false positives are dropped here
    after decryption. At most SEARCH_LIMIT people are returned, with ``more`` set when others
    match too (then the page says "more than").
    """
    people = access.visible_people(viewer).select_related("residence_commune")
    candidates, is_match = _candidates(people, kind, query, birth_year)
    result = _first_page(viewer, candidates, is_match)
    # What kind of key was searched (never the key itself), and whom the results showed.
    detail: dict[str, object] = {
        "kind": kind,
        "found": len(result.people),
        "people": [str(p.pk) for p in result.people],
    }
    if result.more:
        detail["more"] = True
    record_read(actor=viewer, action=CaseAction.SEARCH, detail=detail)
    return result


def person_search(
    *, viewer: access.AnyUser, kind: SearchKind, query: str, birth_year: int | None = None
) -> list[Person]:
    """Return the people ``person_search_page`` finds (the first SEARCH_LIMIT)."""
    return person_search_page(viewer=viewer, kind=kind, query=query, birth_year=birth_year).people


def masked_people(*, viewer: access.AnyUser, person_ids: list[UUID]) -> set[UUID]:
    """Return which of these people a list must show to the viewer without name or ID:
    victims for a supervisor, and people whose identity no grant of the viewer shares
    (people the list read through ``access``)."""
    hidden = access.identity_hidden(viewer, person_ids, visible=True)
    if not access.masks_victims(viewer):
        return hidden
    return access.victim_person_ids(person_ids) | hidden


def emergency_accesses_for_review(*, viewer: access.AnyUser) -> QuerySet[EmergencyAccess]:
    """Return the emergency accesses the viewer reviews, those waiting for review first."""
    return (
        access.reviewable_emergency_accesses(viewer)
        .select_related("user", "person", "reviewed_by")
        .order_by(F("reviewed_at").desc(nulls_first=True), "-granted_at")
    )


def person_cases(*, viewer: access.AnyUser, person: Person) -> QuerySet[Case]:
    """Return the person's cases the viewer may see, newest first."""
    return (
        access.visible_cases(viewer)
        .filter(person=person)
        .select_related("organisation", "assigned_to")
        .order_by("-opened_on")
    )


CASE_SORTS = {
    # The id breaks ties, so each order is total and a page can start after a row.
    "newest": ("-opened_on", "-created_at", "-id"),
    "oldest": ("opened_on", "created_at", "id"),
    "category": ("category", "-opened_on"),
    "status": ("status", "-opened_on"),
    "due": ("next_due_on", "-opened_on", "id"),
}
CASES_PER_PAGE = 50


@dataclass(frozen=True)
class CaseFilters:
    """What a case list is narrowed to; empty values do not filter."""

    status: str | None = None
    category: str | None = None
    commune: Any = None  # an AdministrativeUnit
    assigned_to: Any = None  # a User
    overdue: bool = False  # open cases with a step past its due date
    sort: str = "newest"


def case_list_for(
    *, viewer: access.AnyUser, status: str | None = None, filters: CaseFilters | None = None
) -> QuerySet[Case]:
    """Return the viewer's visible cases, filtered and sorted (most recently opened first)."""
    f = filters or CaseFilters(status=status)
    cases = _narrowed(
        access.visible_cases(viewer).select_related(
            "person", "person__residence_commune", "organisation", "assigned_to"
        ),
        f,
    )
    return cases.order_by(*CASE_SORTS.get(f.sort, CASE_SORTS["newest"]))


def _narrowed(cases: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    """Return the cases narrowed by the list's filters."""
    if f.status:
        cases = cases.filter(status=f.status)
    if f.category:
        cases = cases.filter(category=f.category)
    if f.commune is not None:
        cases = cases.filter(person__residence_commune=f.commune)
    if f.assigned_to is not None:
        cases = cases.filter(assigned_to=f.assigned_to)
    if f.overdue:
        cases = cases.filter(status=CaseStatus.OPEN, next_due_on__lt=timezone.localdate())
    return cases


@dataclass(frozen=True)
class Total:
    """How many rows a list holds; ``at_least`` when counting stopped early ("more than")."""

    value: int
    at_least: bool = False

    @classmethod
    def of(cls, paginator: CappedPaginator) -> Total:
        """Return the total a capped paginator counted ("more than" past its cap)."""
        return cls(min(paginator.count, paginator.cap), at_least=paginator.capped)


def case_list_page(
    *,
    viewer: access.AnyUser,
    status: str | None = None,
    filters: CaseFilters | None = None,
    page_number: str | None,
    after: str | None = None,
) -> tuple[Page[Case], Total]:
    """Return one 50-row page of the viewer's cases and their total, recording whom the
    page showed.

    ``after`` is the cursor the previous page's "next" link carries (``page.next_after``):
    the page then starts after that row instead of skipping the pages before it.
    """
    f = filters or CaseFilters(status=status)
    cases = case_list_for(viewer=viewer, filters=f)
    order = CASE_SORTS.get(f.sort, CASE_SORTS["newest"])
    # Unfiltered, the list is the union of the access rule's clauses, each counted from its
    # index alone; a filter on top could make a clause slower to count than the whole list.
    unfiltered = f == CaseFilters(sort=f.sort)
    parts = access.visible_case_parts(viewer) if unfiltered else []
    paginator = CappedPaginator(cases, CASES_PER_PAGE, parts=parts)
    total = Total.of(paginator)
    try:
        number = paginator.validate_number(page_number or "")
    except PageNotAnInteger:
        number, after = 1, None
    except EmptyPage:
        number, after = paginator.num_pages, None
    page = paginator.page(number, after=after_cursor(cases, order, after))
    last = page.object_list[-1] if page.object_list else None
    page.next_after = cursor_of(last, order) if last is not None and runs_one_way(order) else ""
    record_read(
        actor=viewer,
        action=CaseAction.CASE_LIST,
        detail={"page": page.number, "people": sorted({str(c.person_id) for c in page})},
    )
    return page, total


def _number_holders(field: str, number: str, exclude: Person | None = None) -> list[Person]:
    """Return everyone whose ``field`` (a citizen or old ID number) is this number, across all
    scopes: the blind index's candidates, kept when their decrypted digits match."""
    wanted = normalize.digits(number)
    index = _index(f"{field}_index", number)
    if not wanted or index is None:
        return []  # no digits: nobody's number, never the people without one
    candidates = Person.objects.filter(**{f"{field}_index": index})
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return [p for p in candidates if normalize.digits(getattr(p, field) or "") == wanted]


def citizen_id_holder(*, number: str, exclude: Person | None = None) -> Person | None:
    """Return whoever already holds this citizen ID number, across all scopes.

    Used only to refuse duplicates; callers must not show the holder to a user who may not
    see them.
    """
    return next(iter(_number_holders("citizen_id", number, exclude)), None)


def person_ids_with_citizen_id(number: str) -> list[UUID]:
    """Return the ids of everyone holding this citizen ID (or old ID) number, across scopes.

    For the auditor's "who saw this person" only (``audit.registry``): ids, never a name.
    """
    holders = _number_holders("citizen_id", number) + _number_holders("old_id_number", number)
    return sorted({person.pk for person in holders})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    subject: str  # "person" or the case's category
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange]
    request_id: str


# Bookkeeping columns that are not the record's content.
_UNTRACKED = {"id", "created_at", "updated_at", "person", "version"}


def _shown(record: Any, field: Any) -> str:
    value = getattr(record, field.name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if hasattr(value, "display_name"):  # a user: by full name
        return str(value.display_name)
    if isinstance(value, date):  # dd/mm/yyyy, as everywhere else
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _entries(records: list[Any], subject: Callable[[Any], str]) -> list[HistoryEntry]:
    entries = []
    previous: dict[Any, Any] = {}
    for record in records:
        kept = {f.name for f in record._meta.concrete_fields}  # history's own columns
        fields = [
            f
            for f in record.instance_type._meta.concrete_fields
            if f.name in kept and f.name not in _UNTRACKED and not f.name.endswith("_index")
        ]
        before = previous.get(record.id)
        changes = [
            FieldChange(str(f.verbose_name), _shown(before, f) if before else "", _shown(record, f))
            for f in fields
            if before is None or getattr(before, f.attname) != getattr(record, f.attname)
        ]
        if before is None:
            changes = [c for c in changes if c.new != "—"]
        previous[record.id] = record
        user = record.history_user.display_name if record.history_user else "—"
        entries.append(
            HistoryEntry(
                record.history_date,
                user,
                subject(record),
                record.history_type,
                changes,
                record.history_request_id,
            )
        )
    return entries


def person_history(*, viewer: access.AnyUser, person: Person) -> list[HistoryEntry]:
    """Return who changed which field of the person and of their visible cases, newest first.

    Call only with a person the viewer may see (``access.get_person_for_user``): values are
    decrypted for display.
    """
    people = list(person.history.select_related("history_user").order_by("history_date"))
    visible = access.visible_cases(viewer).filter(person=person).values("pk")
    cases = list(
        Case.history.filter(id__in=visible)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries = _entries(people, lambda r: str(_("Person")))
    entries += _entries(cases, lambda r: str(r.get_category_display()))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def role_requests_pending(*, viewer: AnyUser) -> QuerySet[RoleChangeRequest]:
    """Return the pending role changes the viewer may decide, oldest first."""
    return (
        roles.role_requests_for(viewer)
        .filter(status=RoleChangeRequest.Status.PENDING)
        .select_related(
            "user__staff__organisation",
            "user__staff__scope_unit",
            "requested_by",
            "organisation",
            "scope_unit",
        )
        .order_by("requested_at")
    )


def role_request_for_decision(*, viewer: AnyUser, request_id: UUID) -> RoleChangeRequest:
    """Return a role change the viewer may decide, else record a denial and answer 404."""
    found = roles.role_requests_for(viewer).filter(pk=request_id).first()
    if found is None:
        access.deny(
            viewer, "approve_role_change", object_type="rolechangerequest", object_id=request_id
        )
        raise Http404
    return found


# --- emergency-access reviews ----------------------------------------------------------------

REVIEWS_PER_PAGE = 50


def emergency_review_page(
    *, viewer: access.AnyUser, page_number: str | None
) -> Page[EmergencyAccess]:
    """Return one page of the review queue, recording that the viewer read it."""
    grants = emergency_accesses_for_review(viewer=viewer)
    page = CappedPaginator(grants, REVIEWS_PER_PAGE).get_page(page_number)
    record_read(
        actor=viewer,
        action=CaseAction.EMERGENCY_QUEUE_READ,
        object_type="emergencyaccess",
        detail={"page": page.number, "people": sorted({str(g.person_id) for g in page})},
    )
    return page


def emergency_access_for_review(*, viewer: access.AnyUser, access_id: UUID) -> EmergencyAccess:
    """Return one emergency access the viewer reviews, with its reason, recording the read."""
    grant = access.get_emergency_access_for_review(viewer, access_id)
    record_read(
        actor=viewer,
        action=CaseAction.EMERGENCY_ACCESS_READ,
        obj=grant,
        person_id=grant.person_id,
    )
    return grant


# --- start page ("my work") ----------------------------------------------------------------

# Each section of the start page shows this many rows, how many there are, and a link to all.
SECTION_ROWS = 5
# A section's own page (``?section=...``) shows this many rows a page.
RESIDENTS_PER_PAGE = 50
SECTION_PER_PAGE = 50
# The start page lists what is overdue and what falls due within this time.
DUE_SOON = timedelta(days=7)
# What is due is read off the due indexes up to this many items (the start page says "more
# than" past it); the section's own page reads up to DUE_LISTED.
DUE_COUNTED = 50
DUE_LISTED = 500
# "Recently changed" counts the people the viewer may see up to this many.
RECENT_COUNTED = 1000
MY_WORK_SECTIONS = ("due", "recent", "residents")


@dataclass(frozen=True)
class MyWork:
    open_cases: list[Case]
    recent_people: list[Person]
    resident_page: Page[Person] | None  # commune officers: the people living in their commune
    residents_total: Total | None
    commune: Any
    due: list[dues.DueItem]  # overdue first (earliest due date first)
    due_total: Total | None = None
    overdue_count: int = 0
    open_cases_total: Total | None = None
    recent_total: Total | None = None
    section: str = ""  # "" for the start page; else the one section shown whole, paged
    due_page: Page[dues.DueItem] | None = None
    recent_page: Page[Person] | None = None


def _first_rows(rows: Any, *, cap: int | None = None) -> tuple[list[Any], Total]:
    """Return a section's first rows and its capped count (two bounded, indexed queries)."""
    paginator = CappedPaginator(rows, SECTION_ROWS, cap=cap)
    return list(paginator.page(1).object_list), Total.of(paginator)


def _residents(viewer: access.AnyUser) -> tuple[Any, Any]:
    profile = access.profile_of(viewer)
    if profile is None or not access.has_role(viewer, Role.COMMUNE_OFFICER):
        return None, None
    commune = profile.scope_unit
    people = (
        access.visible_people(viewer)
        .filter(commune.subtree_q("residence_commune__"))
        .select_related("residence_commune")
        .order_by("residence_commune__name", "-created_at")
    )
    return people, commune


def _due(viewer: access.AnyUser, limit: int) -> tuple[list[dues.DueItem], Total]:
    items = dues.due_for(viewer=viewer, until=timezone.localdate() + DUE_SOON, limit=limit + 1)
    return items[:limit], Total(min(len(items), limit), at_least=len(items) > limit)


def my_work(
    *, viewer: access.AnyUser, section: str | None = None, page_number: str | None = None
) -> MyWork:
    """Return a caseworker's or commune officer's start page: what is due (overdue first),
    their open cases, people recently registered or changed, and (commune officers) the
    commune's residents, each bounded to a few rows with its count.

    With ``section`` ("due", "recent", "residents"), only that section, whole and paged.
    One event names every person the page showed.
    """
    section = section if section in MY_WORK_SECTIONS else ""
    residents_rows, commune = _residents(viewer)
    if section:
        return _my_work_section(viewer, section, page_number, residents_rows, commune)
    due, due_total = _due(viewer, DUE_COUNTED)
    overdue = sum(item.due_on < timezone.localdate() for item in due)
    open_cases, open_total = _first_rows(
        access.visible_cases(viewer)
        .filter(assigned_to_id=getattr(viewer, "pk", None), status=CaseStatus.OPEN)
        .select_related("person", "person__residence_commune", "organisation")
        .order_by("-opened_on")
    )
    recent, recent_total = _first_rows(
        access.visible_people(viewer).select_related("residence_commune").order_by("-updated_at"),
        cap=RECENT_COUNTED,
    )
    resident_page, residents_total = None, None
    if residents_rows is not None:
        paginator = CappedPaginator(residents_rows, SECTION_ROWS)
        resident_page, residents_total = paginator.page(1), Total.of(paginator)
    due = due[:SECTION_ROWS]
    _record_shown(
        viewer,
        [c.person_id for c in open_cases]
        + [p.pk for p in recent]
        + [item.case.person_id for item in due]
        + [p.pk for p in resident_page or []],
    )
    return MyWork(
        open_cases,
        recent,
        resident_page,
        residents_total,
        commune,
        due,
        due_total=due_total,
        overdue_count=overdue,
        open_cases_total=open_total,
        recent_total=recent_total,
    )


def _my_work_section(
    viewer: access.AnyUser, section: str, page_number: str | None, residents: Any, commune: Any
) -> MyWork:
    due_page = recent_page = resident_page = None
    due_total = recent_total = residents_total = None
    if section == "due":
        items, due_total = _due(viewer, DUE_LISTED)
        due_page = Paginator(items, SECTION_PER_PAGE).get_page(page_number)
        shown = [item.case.person_id for item in due_page]
    elif section == "recent":
        people = (
            access.visible_people(viewer)
            .select_related("residence_commune")
            .order_by("-updated_at")
        )
        paginator = CappedPaginator(people, SECTION_PER_PAGE, cap=RECENT_COUNTED)
        recent_page, recent_total = paginator.get_page(page_number), Total.of(paginator)
        shown = [p.pk for p in recent_page]
    elif residents is not None:
        paginator = CappedPaginator(residents, RESIDENTS_PER_PAGE)
        resident_page, residents_total = paginator.get_page(page_number), Total.of(paginator)
        shown = [p.pk for p in resident_page]
    else:
        shown = []  # residents asked by someone who has no commune: an empty section
    _record_shown(viewer, shown)
    return MyWork(
        [],
        [],
        resident_page,
        residents_total,
        commune,
        [],
        due_total=due_total,
        recent_total=recent_total,
        section=section,
        due_page=due_page,
        recent_page=recent_page,
    )


def _record_shown(viewer: access.AnyUser, person_ids: list[Any]) -> None:
    record_read(
        actor=viewer,
        action=CaseAction.PEOPLE_LIST,
        detail={"list": "my_work", "people": sorted({str(pk) for pk in person_ids})},
    )


# At most this many possible duplicates are shown (namesakes born the same year are few).
DUPLICATES_SHOWN = 10


def possible_duplicates(
    *,
    viewer: access.AnyUser,
    full_name: str,
    birth_year: int,
    sex: str,
    citizen_id: str = "",
    commune: Any = None,
) -> list[Person]:
    """Return the people the viewer may see who are likely the person about to be registered.

    Same name (folded: with or without accents, any case or spacing), same year of birth and
    sex, found through the name + year blind index; someone whose citizen ID differs from a
    typed one is a different person. Those living in the same commune come first (the form
    shows the commune). Whom the answer shows is recorded, like a search's results.
    """
    wanted = normalize.fold_text(full_name)
    typed_id = normalize.digits(citizen_id)
    candidates = (
        access.visible_people(viewer)
        .select_related("residence_commune")
        .filter(
            name_year_index=_index("name_year_index", full_name, birth_year),
            birth_year=birth_year,
            sex=sex,
        )
        .order_by("pk")
    )
    matches = [
        person
        for person in candidates[:SEARCH_BATCH]
        if normalize.fold_text(person.full_name) == wanted
        and not (typed_id and person.citizen_id and normalize.digits(person.citizen_id) != typed_id)
    ]
    # Those living in the commune typed first (a sort keeps the id order otherwise).
    matches.sort(key=lambda person: person.residence_commune_id != getattr(commune, "pk", None))
    matches = matches[:DUPLICATES_SHOWN]
    if matches:
        record_read(
            actor=viewer,
            action=CaseAction.SEARCH,
            detail={
                "kind": "registration",
                "found": len(matches),
                "people": [str(person.pk) for person in matches],
            },
        )
    return matches

"""Pages for people and cases: parse input, call one selector or action, render."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.edit_page import edit_submit
from core.paging import CappedPaginator

from . import access, actions, invitations, plan_views, resets, roles, selectors, staff, timeline
from . import capabilities as caps
from .forms import (
    CaseFilterForm,
    CaseForm,
    EmergencyAccessForm,
    EmergencyReviewForm,
    PersonForm,
    RoleDecisionForm,
    SearchForm,
    StaffMemberForm,
    StaffUsernameForm,
    WelcomeForm,
)
from .models import EmergencyAccess


@require_http_methods(["GET", "POST"])
def person_search(request: HttpRequest) -> HttpResponse:
    # POST, so searched identifiers never land in URLs, proxy logs or browser history.
    _require(request, caps.PERSON_VIEW)
    form = SearchForm(request.POST or None)
    results, more = None, False
    if form.is_valid():
        found = selectors.person_search_page(
            viewer=request.user,
            kind=form.cleaned_data["kind"],
            query=form.cleaned_data["q"],
            birth_year=form.cleaned_data["birth_year"],
        )
        results, more = found.people, found.more
    context = {
        "form": form,
        "typed": form.typed() if form.is_valid() else [],
        "results": results,
        "more": more,
        "masked": selectors.masked_people(
            viewer=request.user, person_ids=[p.pk for p in results or []]
        ),
    }
    return render(request, "cases/person_search.html", context)


def _require(request: HttpRequest, capability: str) -> None:
    # E.g. auditors and administrators never reach case content, not even an empty list.
    if not access.can(request.user, capability):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    _require(request, caps.PERSON_ADD)
    # "Register with what I typed" from the search posts the typed values (never in a URL).
    prefill = request.method == "POST" and "prefill" in request.POST
    form = PersonForm(
        None if prefill else request.POST or None,
        user=request.user,
        initial=PersonForm.prefilled(request.POST) if prefill else None,
    )
    matches: list[Any] = []
    if request.method == "POST" and not prefill and form.is_valid():
        confirmed = request.POST.getlist("shown") if "different" in request.POST else []
        try:
            person = actions.person_register(
                actor=request.user, data=form.to_data(), different_from=confirmed
            )
        except actions.PossibleDuplicateError as found:
            matches = found.matches
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The person has been registered."))
            return redirect("cases:person_detail", person_id=person.pk)
    masked = selectors.masked_people(viewer=request.user, person_ids=[p.pk for p in matches])
    context = {"form": form, "person": None, "matches": matches, "masked": masked}
    return render(request, "cases/person_form.html", context)


@require_GET
def person_detail(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "view")
    happened, planned = timeline.split(timeline.for_person(viewer=request.user, person=person))
    context = {
        "person": person,
        "parts": access.person_parts_visible(request.user, person),
        "cases": selectors.person_cases(viewer=request.user, person=person),
        "timeline": happened,
        "planned": planned,
        "sections": timeline.person_sections(viewer=request.user, person=person),
    }
    return render(request, "cases/person_detail.html", context)


@require_GET
def person_history(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "view")
    access.require_whole_person(request.user, person)
    entries = selectors.person_history(viewer=request.user, person=person)
    return render(request, "cases/person_history.html", {"person": person, "entries": entries})


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    outcome = edit_submit(
        request,
        PersonForm(request.POST or None, instance=person, user=request.user),
        save=lambda form: actions.person_update(
            actor=request.user,
            person=person,
            data=form.to_data(),
            if_version=form.opened_version(person),
        ),
        rebuild=lambda data, current: PersonForm(data, instance=current, user=request.user),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("cases:person_detail", person_id=person.pk)
    context = {"form": outcome.form, "person": person, "conflict": outcome.conflict}
    return render(request, "cases/person_form.html", context)


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASE_VIEW)
    form = CaseFilterForm(request.GET or None, user=request.user)
    page, total = None, None
    if form.is_valid() or not form.is_bound:
        page, total = selectors.case_list_page(
            viewer=request.user,
            filters=form.filters(),
            page_number=request.GET.get("page"),
            after=request.GET.get("after"),
        )
    masked = selectors.masked_people(
        viewer=request.user, person_ids=[case.person_id for case in page or []]
    )
    context = {
        "form": form,
        "page": page,
        "total": total,
        "masked": masked,
        "query": _query_without_page(request),
    }
    return render(request, "cases/case_list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)
    return query.urlencode()


@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """Start page of caseworkers and commune officers: "my work"."""
    _require(request, caps.MY_WORK)
    work = selectors.my_work(
        viewer=request.user,
        section=request.GET.get("section"),
        page_number=request.GET.get("page"),
    )
    people = [c.person_id for c in work.open_cases] + [p.pk for p in work.recent_people]
    people += [p.pk for p in work.resident_page or []] + [i.case.person_id for i in work.due]
    people += [p.pk for p in work.recent_page or []]
    people += [i.case.person_id for i in work.due_page or []]
    masked = selectors.masked_people(viewer=request.user, person_ids=people)
    pages = (work.due_page, work.recent_page, work.resident_page)
    page = next((p for p in pages if p is not None), None)
    context = {
        "work": work,
        "page": page if work.section else None,
        "masked": masked,
        "query": f"section={work.section}" if work.section else "",
        "sections": [] if work.section else timeline.start_sections(viewer=request.user),
    }
    return render(request, "cases/my_work.html", context)


@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest, person_id: UUID) -> HttpResponse:
    person = access.get_person_for_user(request.user, person_id, "change")
    form = CaseForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.case_open(actor=request.user, person=person, data=form.to_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case has been opened."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "person": person, "case": None})


@require_GET
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "view")
    happened, planned = timeline.split(timeline.for_case(viewer=request.user, case=case))
    context = {
        "case": case,
        "parts": access.parts_visible(request.user, case),
        "entries": happened,
        "planned": planned,
        "add_links": timeline.add_links(viewer=request.user, case=case),
        **plan_views.case_page_context(request.user, case),
    }
    return render(request, "cases/case_detail.html", context)


@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = access.get_case_for_user(request.user, case_id, "change")
    outcome = edit_submit(
        request,
        CaseForm(request.POST or None, instance=case, user=request.user),
        save=lambda form: actions.case_update(
            actor=request.user,
            case=case,
            data=form.to_data(),
            if_version=form.opened_version(case),
        ),
        rebuild=lambda data, current: CaseForm(data, instance=current, user=request.user),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("cases:case_detail", case_id=case.pk)
    context = {
        "form": outcome.form,
        "person": case.person,
        "case": case,
        "conflict": outcome.conflict,
    }
    return render(request, "cases/case_form.html", context)


@require_http_methods(["GET", "POST"])
def emergency_request(request: HttpRequest) -> HttpResponse:
    """Break the glass: open an out-of-scope record for a written reason, for a few hours."""
    _require(request, caps.EMERGENCY_REQUEST)
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person, grant = actions.emergency_access_request(
                actor=request.user,
                citizen_id=form.cleaned_data["citizen_id"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if person is None:
                form.add_error("citizen_id", _("Nobody with this citizen ID number is registered."))
            else:
                if grant is not None:
                    messages.warning(
                        request, _("Emergency access granted. It is recorded and will be reviewed.")
                    )
                return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/emergency_request.html", {"form": form})


def _auto_id(grant: EmergencyAccess) -> str:
    # One card per grant on the queue: every card's field ids (not names) are its own.
    return f"id_{grant.pk.hex[:12]}_%s"


@require_GET
def emergency_review_list(request: HttpRequest) -> HttpResponse:
    _require(request, caps.EMERGENCY_REVIEW)
    page = selectors.emergency_review_page(viewer=request.user, page_number=request.GET.get("page"))
    cards = [(grant, EmergencyReviewForm(auto_id=_auto_id(grant))) for grant in page]
    context = {"page": page, "cards": cards, "now": timezone.now()}
    return render(request, "cases/emergency_review.html", context)


@require_http_methods(["GET", "POST"])
def emergency_review(request: HttpRequest, access_id: UUID) -> HttpResponse:
    """One emergency access with its reason: review it, or end it early."""
    grant = selectors.emergency_access_for_review(viewer=request.user, access_id=access_id)
    form = EmergencyReviewForm(request.POST or None, auto_id=_auto_id(grant))
    if request.method == "POST" and form.is_valid():
        try:
            actions.emergency_access_review(
                actor=request.user,
                grant=grant,
                justified=form.cleaned_data["justified"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The review has been recorded."))
            return redirect("cases:emergency_review_list")
    context = {"grant": grant, "form": form, "now": timezone.now()}
    return render(request, "cases/emergency_review_detail.html", context)


@require_POST
def emergency_revoke(request: HttpRequest, access_id: UUID) -> HttpResponse:
    grant = access.get_emergency_access_for_review(request.user, access_id)
    if request.POST.get("confirm") != "on":
        messages.warning(request, _("Tick the box to confirm that the access must end now."))
    else:
        try:
            actions.emergency_access_revoke(actor=request.user, grant=grant)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The emergency access has been ended."))
    return redirect("cases:emergency_review", access_id=grant.pk)


@require_GET
def role_request_list(request: HttpRequest) -> HttpResponse:
    """Role changes waiting for a second person's approval (dual control)."""
    _require(request, caps.STAFF_APPROVE)
    pending = selectors.role_requests_pending(viewer=request.user)
    page = CappedPaginator(pending, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "awaiting": invitations.awaiting_code(viewer=request.user)[:50],
        "resets": resets.account_resets_for(request.user)[:50],
    }
    return render(request, "cases/role_requests.html", context)


@require_POST
def role_request_decide(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """Approve a role change once confirmed, or reject it with a reason; say what was decided."""
    _require(request, caps.STAFF_APPROVE)
    pending = selectors.role_request_for_decision(viewer=request.user, request_id=request_id)
    form = RoleDecisionForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors))
        return redirect("cases:role_request_list")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = roles.role_request_decide(
            actor=cast(User, request.user),
            request=pending,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        what = {
            "user": decided.user.username,
            "role": decided.get_role_display(),
            "organisation": decided.organisation.name,
        }
        done = (
            _("Approved: %(user)s as %(role)s at %(organisation)s.")
            if approve
            else _("Rejected: %(user)s as %(role)s at %(organisation)s.")
        )
        messages.success(request, done % what)
    return redirect("cases:role_request_list")


# --- staff administration (administrators: users.manage) -------------------------------------


def _actor(request: HttpRequest) -> User:
    # The middleware lets only signed-in, verified users this far.
    return cast(User, request.user)


@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """Every staff member: organisation, role, locked out or waiting for approval."""
    staff.users_manage_require(actor=request.user, what="view_staff")
    listing = staff.staff_page(page_number=request.GET.get("page"))
    context = {"page": listing.page, "locked": listing.locked, "query": ""}
    return render(request, "cases/staff_list.html", context)


@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    """Create a staff member in one form; answer with their invitation link."""
    staff.users_manage_require(actor=request.user, what="create_staff_member")
    form = StaffMemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, pending, path = roles.staff_member_create(
                actor=_actor(request),
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                profile=form.instance,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Shown once, not redirected: the link is a secret that must not sit in a cookie.
            link = request.build_absolute_uri(path)
            sent = invitations.invitation_deliver(user=user, link=link)
            context = {
                "member": user,
                "pending": pending,
                "link": None if sent else link,
                "invitation_hours": settings.INVITATION_HOURS,
            }
            return render(request, "cases/staff_created.html", context)
    return render(request, "cases/staff_form.html", {"form": form})


def _staff_username(request: HttpRequest, *, what: str) -> str | None:
    """Return the username a staff-list button posted, or None after saying it is not
    valid (a NUL byte, an overlong name: PostgreSQL would refuse the first)."""
    form = StaffUsernameForm(request.POST)
    if form.is_valid():
        return str(form.cleaned_data["username"])
    staff.users_manage_require(actor=request.user, what=what)
    messages.error(request, _("That username is not valid."))
    return None


@require_POST
def staff_unlock(request: HttpRequest) -> HttpResponse:
    """Unlock a locked-out account after a confirmation step (like ``unlock_account``)."""
    username = _staff_username(request, what="unlock_account")
    if username is None:
        return redirect("cases:staff_list")
    if request.POST.get("confirm") != "yes":
        staff.users_manage_require(actor=request.user, what="unlock_account")
        member = staff.staff_users().filter(username=username).first()
        if member is None:
            messages.error(request, _("There is no such staff member."))
            return redirect("cases:staff_list")
        return render(request, "cases/staff_unlock_confirm.html", {"member": member})
    if roles.staff_unlock(actor=_actor(request), username=username):
        messages.success(request, _("The account is unlocked. The person can sign in again."))
    else:
        messages.warning(request, _("This account was not locked."))
    return redirect("cases:staff_list")


@login_not_required
@never_cache
@require_GET
def staff_welcome_open(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: trade its token for this session, then leave the token's URL."""
    if invitations.invitation_open(token=token, session=request.session):
        return redirect("cases:staff_welcome")
    return render(request, "cases/staff_welcome.html", {"validlink": False})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def staff_welcome(request: HttpRequest) -> HttpResponse:
    """Set the first password with the activation code a second person handed over."""
    invitation = invitations.invitation_in_session(session=request.session)
    if invitation is None:
        return render(request, "cases/staff_welcome.html", {"validlink": False})
    form = WelcomeForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_accept(
                invitation=invitation,
                code=form.cleaned_data["code"],
                password=form.cleaned_data["new_password1"],
                session=request.session,
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, _("Your password is set. Sign in to continue."))
            return redirect("login")
    return render(request, "cases/staff_welcome.html", {"validlink": True, "form": form})


@require_POST
def account_reset_decide(request: HttpRequest, reset_id: UUID) -> HttpResponse:
    """A second administrator approves or rejects another person's sign-in reset."""
    staff.users_manage_require(actor=request.user, what="approve_account_reset")
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        messages.error(request, _("Choose approve or reject."))
    else:
        resets.account_reset_decide(
            actor=_actor(request), request_id=reset_id, approve=decision == "approve"
        )
        messages.success(request, _("Your decision has been recorded."))
    return redirect("cases:role_request_list")


@require_POST
def invitation_code(request: HttpRequest, invitation_id: UUID) -> HttpResponse:
    """Show a second person a newcomer's activation code, once, to hand over in person."""
    _require(request, caps.STAFF_APPROVE)
    code = invitations.invitation_code_issue(actor=_actor(request), invitation_id=invitation_id)
    return render(request, "cases/invitation_code.html", {"code": code})


@require_POST
def staff_invite(request: HttpRequest) -> HttpResponse:
    """Issue a new invitation link to someone who has not set a password yet."""
    staff.users_manage_require(actor=request.user, what="invite_staff_member")
    username = _staff_username(request, what="invite_staff_member")
    if username is None:
        return redirect("cases:staff_list")
    try:
        path = roles.staff_invitation_issue(actor=_actor(request), username=username)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cases:staff_list")
    member = staff.staff_users().get(username=username)
    link = request.build_absolute_uri(path)
    sent = invitations.invitation_deliver(user=member, link=link)
    context = {
        "member": member,
        "link": None if sent else link,
        "reissued": True,
        "invitation_hours": settings.INVITATION_HOURS,
    }
    return render(request, "cases/staff_created.html", context)

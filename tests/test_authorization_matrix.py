"""The authorization matrix: every URL the project has × every role × in/out of scope.

URLs are discovered from the resolver, so a new page without an entry in ``SPEC`` fails
``test_every_url_has_a_rule``. For each cell the test asserts the status code, and that a
refused object URL (404) left exactly one denial event naming the user and the object.
Principals: anonymous, a signed-in user who has not passed the second factor, the five
roles (lan caseworker, minh commune officer, hoa supervisor, an auditor, quan admin) and
mai, lan's teammate at clinic A with nothing assigned.

Object URLs are tried on four sets of objects, each in a different set of principals'
scope (``SCOPE``): lan's clinic's person, a person of clinic B (district 982), a case of
clinic B assigned to lan, and a person of another province. POST cells then send a valid
edit as an outsider, a supervisor and an auditor, and check it is refused, leaves the row
unchanged and leaves a denial.

ASVS 8.2.1, 8.2.2 (function- and data-level access), 8.3.1 (server-side enforcement),
6.3.3 (second factor on every page).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from audit.models import Event
from calendar_days.models import PublicHoliday
from cases import actions
from cases.choices import Role, UnitLevel
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    Case,
    CaseClosure,
    ContactNote,
    DirectoryChangeRequest,
    EmergencyAccess,
    FamilyLink,
    Move,
    Organisation,
    OrganisationType,
    Person,
    PlanGoal,
    RoleChangeRequest,
    StaffProfile,
)
from cases.roles import staff_profile_save
from programme.models import (
    Activity,
    Attendance,
    AttendeeRole,
    Course,
    PlannedActivity,
    Topic,
    Volunteer,
)
from referrals.models import Consent, Referral
from reports.models import Plan
from services.methadone.models import Dose, DoseKind
from services.models import (
    EpisodeStage,
    FollowUp,
    ServiceRecord,
    ServiceType,
    TreatmentEpisode,
)
from tests.cases.test_case_views import _case_form
from tests.cases.test_person_views import _form as _person_form
from tests.conftest import World, signed_in_client

# document_storage is autouse: each test's documents go to its own directory.
from tests.documents.conftest import document_storage, png_bytes  # noqa: F401
from tests.documents.support import make_document
from tests.facilities.support import make_facility_profile, make_review
from tests.factories import make_case, make_person, make_user
from tests.reports.plan_fixtures import make_plan, make_target

ROLES = {"lan": "caseworker", "minh": "commune", "hoa": "supervisor", "an": "auditor"}
ROLES |= {"quan": "admin", "mai": "caseworker (teammate)"}
# Five roles and a teammate, the anonymous visitor, and a password-only user enrolled or not.
PRINCIPALS = ["anonymous", "unverified-enrolled", "unverified-not-enrolled", *ROLES]
CASE_ROLES = {"lan", "mai", "minh", "hoa"}
# The API's record kinds (api/records.py, D58), by operation stem.
API_RECORD_KINDS = (
    "screenings",
    "treatment_episodes",
    "services",
    "methadone_doses",
    "referrals",
    "contact_notes",
    "plan_goals",
    "case_closures",
    "appointments",
    "documents",
    "case_notes",
)
API_RECORD_VERBS = ("list", "create", "read", "update")
WRITERS = {"lan", "mai", "minh"}
REVIEWERS = {"hoa", "an"}
# The facility registry's roles: the province's supervisor and administrator.
FACILITY_ROLES = {"hoa", "quan"}

# ---------------------------------------------------------------------------------------
# Discovery


@dataclass(frozen=True)
class Route:
    name: str  # namespaced name, or "<ns>:<unnamed> <route>" for unnamed patterns
    route: str
    params: tuple[str, ...]
    callback: Callable[..., Any]


def _walk(patterns: list[Any], ns: str = "", prefix: str = "") -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ns + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            name = f"{ns}{pattern.name}" if pattern.name else f"{ns}<unnamed> {route}"
            params = tuple(sorted(pattern.pattern.regex.groupindex))
            yield Route(name, route, params, pattern.callback)


def all_routes() -> list[Route]:
    # The project's URLs: the test run's root (tests/urls.py) adds the example app's pages,
    # a test fixture whose scoping tests/test_example_app.py proves.
    return list(_walk(get_resolver("config.urls").url_patterns))


# ---------------------------------------------------------------------------------------
# What each principal should get. A rule returns the expected status for a verified role,
# given whether the object (if any) is in that role's scope.

Rule = Callable[[str, bool], int]


def roles_ok(allowed: set[str], ok: int = 200, refused: int = 403) -> Rule:
    return lambda who, in_scope: ok if who in allowed else refused


def object_rule(allowed: set[str]) -> Rule:
    """Object pages: 200 in scope for allowed roles; 404 (never 403) for everything else."""
    return lambda who, in_scope: 200 if who in allowed and in_scope else 404


# The administrator's model permissions in the admin: view, add, change, delete.
ADMIN_MODELS: dict[str, str] = {
    "auth_group": "v",
    "accounts_user": "vac",
    # Django's UserAdmin names its password page auth_user_password_change, whatever the model.
    "auth_user": "vac",
    "cases_administrativeunit": "vac",
    "cases_organisationtype": "vac",
    "cases_organisation": "vac",
    "cases_staffprofile": "vac",
    # Role change requests are decided on the approvals page, never edited in the admin.
    "cases_rolechangerequest": "v",
    # Moves of units and organisations waiting for a second administrator: decided on the
    # list (admin actions), never edited.
    "cases_directorychangerequest": "v",
    # The service catalogue: entries are deactivated, never deleted.
    "services_servicetype": "vac",
    "calendar_days_publicholiday": "vacd",
}
ADMIN_VIEWS = {"changelist": "v", "history": "v", "change": "v", "add": "a", "delete": "d"}
ADMIN_VIEWS["password_change"] = "c"


def admin_model_rule(name: str) -> Rule | None:
    """The administrator gets 200 where their model permission allows, else 403; the other
    roles are not staff and are sent to the admin login."""
    short = name.removeprefix("admin:")
    for model, perms in ADMIN_MODELS.items():
        verb = short.removeprefix(model + "_")
        if short.startswith(model + "_") and verb in ADMIN_VIEWS:
            return roles_ok({"quan"}, ok=200 if ADMIN_VIEWS[verb] in perms else 403, refused=302)
    return None


PROGRAMME = {"hoa", "quan"}
PROGRAMME_PAGES = ("index", "course_add", "volunteer_add", "activity_add", "planned_add")
PROGRAMME_OBJECT_PAGES = (
    "course_detail",
    "course_edit",
    "attendee_add",
    "attendee_remove",
    "volunteer_edit",
    "activity_edit",
    "planned_edit",
)

# Open to everyone, signed in or not, before the second factor too (D56).
DIRECTORY_PAGES = (
    "directory:index",
    "directory:province",
    "directory:treatment",
    "directory:rights",
)
SPEC: dict[str, Rule] = {
    "home": roles_ok(set(ROLES), ok=302),
    "cases:my_work": roles_ok(WRITERS),
    "services:record_add": object_rule(WRITERS),
    "services:record_detail": object_rule(CASE_ROLES),
    "services:record_edit": object_rule(WRITERS),
    "services:stage_add": object_rule(WRITERS),
    "services:stage_edit": object_rule(WRITERS),
    "services:followup_record": object_rule(WRITERS),
    # Methadone: the clinic's staff dose for the clinic's patients, its prescriber (lan, not
    # the nurse mai) prescribes; the episode page is read like any case record.
    "methadone:today": roles_ok({"lan", "mai"}),
    "methadone:dose_record": object_rule({"lan", "mai"}),  # an empty POST: the list again
    "methadone:dose_correct": object_rule({"lan", "mai"}),
    "methadone:prescription_add": object_rule({"lan"}),
    "methadone:dose_override": object_rule({"lan"}),  # a prescriber's one-day dose
    "methadone:episode": object_rule(CASE_ROLES),
    "cases:person_search": roles_ok(CASE_ROLES),
    "cases:person_create": roles_ok(WRITERS),
    "cases:person_detail": object_rule(CASE_ROLES),
    "cases:person_edit": object_rule(WRITERS),
    "cases:person_history": object_rule(CASE_ROLES),
    "cases:case_create": object_rule(WRITERS),
    "cases:case_list": roles_ok(CASE_ROLES),
    "cases:case_detail": object_rule(CASE_ROLES),
    "cases:case_edit": object_rule(WRITERS),
    # Contact notes (D42): lan wrote every set's note just now; only she may change it (a
    # teammate or the commune officer who may change the case: 403, logged).
    "cases:note_add": object_rule(WRITERS),
    "cases:note_detail": object_rule(CASE_ROLES),
    "cases:note_edit": lambda who, in_scope: (
        404 if who not in WRITERS or not in_scope else 200 if who == "lan" else 403
    ),
    "cases:note_addendum": object_rule(WRITERS),
    "cases:family_add": object_rule(WRITERS),
    # A POST: the set's link is removed (302) by whoever may change its person.
    "cases:family_remove": lambda who, in_scope: 302 if who in WRITERS and in_scope else 404,
    # The case plan and closing (D45): goals read by the case's viewers, written by its
    # writers; a closing request (lan's) decided only by the supervisor of the holder's area
    # (an empty POST: the form again), refused to the case's other viewers (403, logged).
    "cases:goal_add": object_rule(WRITERS),
    "cases:goal_detail": object_rule(CASE_ROLES),
    "cases:goal_review": object_rule(WRITERS),
    "cases:case_close": object_rule(WRITERS),
    "cases:case_reopen": object_rule(WRITERS),
    "cases:closure_queue": roles_ok({"hoa"}),
    "cases:closure_detail": object_rule(CASE_ROLES),
    "cases:closure_decide": lambda who, in_scope: (
        404 if not in_scope or who not in CASE_ROLES else 200 if who == "hoa" else 403
    ),
    # A person's move (D50): recorded by whoever may change the person, read by the old
    # side's viewers (the new commune's officers too: nobody's commune here), accepted only
    # by an officer of the new commune (a POST: 404 and a denial for everyone else).
    "cases:move_record": object_rule(WRITERS),
    "cases:handover_queue": roles_ok(WRITERS),
    "cases:move_detail": object_rule(CASE_ROLES),
    "cases:move_accept": lambda who, in_scope: 404,
    "cases:emergency_request": roles_ok(CASE_ROLES),
    "cases:emergency_review_list": roles_ok(REVIEWERS),
    # Dual control: administrators decide any role change; a supervisor those in their scope.
    "cases:role_request_list": roles_ok({"hoa", "quan"}),
    "cases:role_request_decide": lambda who, in_scope: (
        302 if who == "quan" or (who == "hoa" and in_scope) else 404 if who == "hoa" else 403
    ),
    # POST without a decision: reviewers are sent back with a message, others refused.
    # The auditor reviews every emergency access; a supervisor those of their province.
    "cases:emergency_review": lambda who, in_scope: (
        200 if who == "an" or (who == "hoa" and in_scope) else 404
    ),
    # POST without the confirmation: reviewers are sent back with a message, others refused.
    "cases:emergency_revoke": lambda who, in_scope: (
        302 if who == "an" or (who == "hoa" and in_scope) else 404
    ),
    # Staff administration: administrators only (POSTs without a username: back to the list).
    "cases:staff_list": roles_ok({"quan"}),
    "cases:staff_create": roles_ok({"quan"}),
    "cases:staff_unlock": roles_ok({"quan"}, ok=302),
    "cases:staff_invite": roles_ok({"quan"}, ok=302),
    # A newcomer's invitation link needs no sign-in; a wrong token shows "does not work",
    # and so does the token-free page without an invitation opened in the session.
    "cases:staff_welcome_open": roles_ok(set(ROLES)),
    "cases:staff_welcome": roles_ok(set(ROLES)),
    # A sign-in reset: administrators decide (POST without a decision: back with a message).
    "cases:account_reset_decide": roles_ok({"quan"}, ok=302),
    # Nobody sets another person's password in the admin: a reset asks a second person.
    "admin:auth_user_password_change": roles_ok({"quan"}, ok=403, refused=302),
    # Handing over an activation code: approvers only; an unknown invitation is a 404.
    "cases:invitation_code": lambda who, in_scope: 404 if who in {"hoa", "quan"} else 403,
    "accounts:otp_verify": roles_ok(set(ROLES)),
    "accounts:otp_enrol": roles_ok(set(ROLES), ok=302),  # enrolled already: to verify
    "audit:event_list": roles_ok({"an"}),
    "audit:event_export": roles_ok({"an"}),
    "audit:unusual_activity": roles_ok({"an"}),
    "audit:event_person_lookup": roles_ok({"an"}, ok=400),  # POST without a number: the error
    "login": roles_ok(set(ROLES), ok=302),  # signed in already
    "logout": roles_ok(set(ROLES), ok=405),  # POST only
    "set_language": roles_ok(set(ROLES), ok=302),
    # Health for the load balancer: open to all, 503 here (no seal, no worker heartbeat).
    "healthz": roles_ok(set(ROLES), ok=503),
    # Prometheus: only with the bearer token, which no signed-in user's request carries.
    "metrics": roles_ok(set(ROLES), ok=404),
    "admin:index": roles_ok({"quan"}, refused=302),
    # The admin's login form is replaced by a redirect to the one login page.
    "admin:login": roles_ok(set(ROLES), ok=302),
    "admin_login": roles_ok(set(ROLES), ok=302),
    "admin:logout": roles_ok({"quan"}, ok=405, refused=302),
    "admin:password_change": roles_ok({"quan"}, refused=302),
    "admin:password_change_done": roles_ok({"quan"}, refused=302),
    "admin:autocomplete": roles_ok({"quan"}, ok=403, refused=302),  # no field named
    "admin:jsi18n": roles_ok({"quan"}, refused=302),
    "admin:view_on_site": roles_ok({"quan"}, ok=404, refused=302),  # no public pages
    "admin:app_list": roles_ok({"quan"}, refused=302),
    "admin:<unnamed> admin/(?P<url>.*)$": roles_ok({"quan"}, ok=404, refused=302),
    # Referrals: queues for content roles, figures for supervisors; a referral's pages follow
    # its case (a receiver reaches it once sent; the sets' referrals are drafts).
    "referrals:queue": roles_ok(CASE_ROLES),
    "referrals:figures": roles_ok({"hoa"}),
    "referrals:referral_create": object_rule(WRITERS),
    "referrals:referral_detail": object_rule(CASE_ROLES),
    "referrals:referral_act": object_rule(CASE_ROLES),  # POST without an action: re-shown
    # Changing a draft: its sending organisation's staff (every set's referral is clinic A's).
    "referrals:referral_edit": object_rule({"lan", "mai"}),
    # Adding a colleague: the handlers of an accepted referral; every set's is a draft, so
    # nobody (tests/referrals/test_consent_and_staff_pages.py covers an accepted one).
    "referrals:referral_staff": object_rule(set()),
    # Recording a consent's withdrawal: whoever may change the case.
    "referrals:consent_withdraw": object_rule(WRITERS),
    "notifications:list": roles_ok(set(ROLES)),
    "notifications:mark_all_read": roles_ok(set(ROLES), ok=405),  # POST only
    "notifications:open": roles_ok(set(ROLES), ok=404),  # nobody's notification
    # Register exports (registers/export*.py): the roles keeping a register; a queued
    # export is its requester's alone (nobody's here: 404 and a denial for everyone).
    "registers_export:page": roles_ok(CASE_ROLES),
    "registers_export:status": roles_ok(set(ROLES), ok=404),
    "registers_export:download": roles_ok(set(ROLES), ok=404),
    "methadone:episode_figures": object_rule(CASE_ROLES),
    "methadone:clinic_figures": roles_ok({"lan", "mai", "hoa"}),
    # Plans and targets: supervisors, within their area (other roles: 403 everywhere).
    # Register imports: the writers; an import is its importer's alone (an unknown id: 404).
    "registers:import_start": roles_ok(WRITERS),
    "registers:import_detail": roles_ok(WRITERS, ok=404),
    "registers:import_run": roles_ok(WRITERS, ok=404),
    "registers:import_retry": roles_ok(WRITERS, ok=404),
    "registers:import_rejected": roles_ok(WRITERS, ok=404),
    "registers:template": roles_ok(WRITERS),
    "registers:template_csv": roles_ok(WRITERS),
    "reports:plan_list": roles_ok({"hoa"}),
    "reports:plan_add": roles_ok({"hoa"}),
    **{
        f"reports:{name}": (
            lambda who, in_scope: (200 if in_scope else 404) if who == "hoa" else 403
        )
        for name in ("plan_detail", "plan_edit", "target_add", "target_edit", "target_remove")
    },
    # Coverage figures: supervisors and commune officers (figures.view). Without an
    # indicator code the indicator page and the people behind a number are not found.
    "reports:dashboard": roles_ok({"hoa", "minh"}),
    "reports:indicator": roles_ok({"hoa", "minh"}, ok=404),
    "reports:people": roles_ok({"hoa", "minh"}, ok=404),
    # The figures report's form: whoever holds figures (supervisors, commune officers).
    "reports:report": roles_ok({"hoa", "minh"}),
    # A report built in the background: asked by POST; its page, download and restart
    # belong to the requester alone (nobody's file here: 404, with a denial).
    "reports:report_queue": roles_ok(set(ROLES), ok=405),  # POST only
    "reports:report_file": roles_ok({"hoa", "minh"}, ok=404),
    "reports:report_file_download": roles_ok(set(ROLES), ok=405),  # POST only
    "reports:report_file_restart": roles_ok(set(ROLES), ok=405),  # POST only
    # Documents follow their case: read by its viewers, attached and edited by its writers.
    "documents:document_add": object_rule(WRITERS),
    # Attaching to one record of the case (here a service record): the case's writers.
    "documents:record_document_add": object_rule(WRITERS),
    "documents:document_detail": object_rule(CASE_ROLES),
    "documents:document_file": object_rule(CASE_ROLES),
    "documents:document_thumbnail": object_rule(CASE_ROLES),
    "documents:document_edit": object_rule(WRITERS),
    "documents:document_withdraw": object_rule(WRITERS),
    "documents:document_replace": object_rule(WRITERS),
    # Appointments (D46) follow their case; the calendar and its file are the writers' own.
    "appointments:calendar": roles_ok(WRITERS),
    "appointments:calendar_file": roles_ok(WRITERS),
    "appointments:appointment_add": object_rule(WRITERS),
    "appointments:appointment_detail": object_rule(CASE_ROLES),
    "appointments:appointment_edit": object_rule(WRITERS),
    # The printable summary: whoever reads the case (one read event naming the person).
    "cases:case_summary": object_rule(CASE_ROLES),
    # Training and communication (D48): supervisors and administrators, within their
    # scope unit's subtree (their objects' scope: PROGRAMME_SCOPE); other roles 403.
    **{f"programme:{name}": roles_ok(PROGRAMME) for name in PROGRAMME_PAGES},
    **{
        f"programme:{name}": (
            lambda who, in_scope: (200 if in_scope else 404) if who in PROGRAMME else 403
        )
        for name in PROGRAMME_OBJECT_PAGES
    },
    # The facility registry (D49): supervisors and administrators, within their unit's
    # subtree (scope by object set: FACILITY_SCOPE); other roles 403 everywhere.
    "facilities:facility_list": roles_ok(FACILITY_ROLES),
    "facilities:facility_add": roles_ok(FACILITY_ROLES),
    **{
        f"facilities:{name}": (
            lambda who, in_scope: (200 if in_scope else 404) if who in FACILITY_ROLES else 403
        )
        for name in ("facility_detail", "facility_edit", "review_add", "review_detail")
    },
    # The API (docs/api.md) from a signed-in session; tokens of every role and of machine
    # clients: tests/api/test_api_matrix.py. The schema and its page are public.
    "api:openapi-json": roles_ok(set(ROLES)),
    "api:openapi-view": roles_ok(set(ROLES)),
    "api:api-root": roles_ok(set(ROLES), ok=404),
    # Writes and the search are POST/PUT: a GET is 405 (the same URL's GET reads, below).
    "api:person_search": roles_ok(set(ROLES), ok=405),
    "api:person_create": roles_ok(set(ROLES), ok=405),
    "api:case_create": roles_ok(set(ROLES), ok=405),
    "api:person_read": object_rule(CASE_ROLES),
    "api:person_update": object_rule(CASE_ROLES),  # GET on this URL is the read
    "api:case_read": object_rule(CASE_ROLES),
    "api:case_update": object_rule(CASE_ROLES),  # GET on this URL is the read
    "api:case_records": object_rule(CASE_ROLES),
    "api:exchange_person": object_rule(CASE_ROLES),  # the exchange document (docs/exchange.md)
    # The record kinds (D58): a case's rows of a kind (POST there adds one), and one row
    # (PUT there changes it). A screening and a test app's note are named by an unknown id
    # here (the sets hold none): tests/api/test_records.py reads real ones.
    # A GET on a write's URL is the list or the read (writes: tests/api/test_api_matrix.py).
    **{
        f"api:{op}_{verb}": object_rule(CASE_ROLES)
        for op in API_RECORD_KINDS
        for verb in API_RECORD_VERBS
    },
    "api:screenings_read": roles_ok(set(), refused=404),
    "api:case_notes_read": roles_ok(set(), refused=404),
    "api:case_notes_update": roles_ok(set(), refused=404),
    "api:figures": roles_ok({"hoa", "minh"}),
    # Sync is for API clients: a person's session is refused (403 and a denial).
    "api:changes": roles_ok(set(), refused=403),
    # API clients are the administrators' (tokens, revocation: POST only).
    "api_clients:list": roles_ok({"quan"}),
    "api_clients:token": roles_ok(set(ROLES), ok=405),
    "api_clients:revoke": roles_ok(set(ROLES), ok=405),
    # The public directory (docs/directory.md, D56): the same page for everyone.
    **{name: roles_ok(set(ROLES)) for name in DIRECTORY_PAGES},
}
# Object pages that name a person, case or emergency access, and the kind they name.
OBJECT_PARAMS = {
    "person_id": "person",
    "case_id": "case",
    "access_id": "emergencyaccess",
    "request_id": "rolechangerequest",
    "record_id": "servicerecord",
    "episode_id": "treatmentepisode",
    "stage_id": "episodestage",
    "referral_id": "referral",
    "methadone_episode_id": "methadoneepisode",
    "dose_id": "dose",
    "followup_id": "followup",
    "consent_id": "consent",
    "plan_id": "plan",
    "target_id": "target",
    "document_id": "document",
    "note_id": "contactnote",
    "appointment_id": "appointment",
    "link_id": "familylink",
    "goal_id": "plangoal",
    "closure_id": "caseclosure",
    "course_id": "course",
    "attendance_id": "attendance",
    "volunteer_id": "volunteer",
    "activity_id": "activity",
    "planned_id": "plannedactivity",
    "facility_id": "facilityprofile",
    "review_id": "conditionreview",
    "move_id": "move",
}
POST_ONLY = {"cases:emergency_revoke", "cases:role_request_decide"}
POST_ONLY |= {"cases:staff_unlock", "cases:staff_invite", "cases:invitation_code"}
POST_ONLY |= {"cases:account_reset_decide"}
POST_ONLY |= {"registers:import_run", "registers:import_retry"}
POST_ONLY |= {"referrals:referral_act", "methadone:dose_record"}
POST_ONLY |= {"audit:event_person_lookup", "cases:family_remove", "cases:closure_decide"}
POST_ONLY |= {"cases:move_accept"}
# Reachable without signing in, or before the second factor, with the status they give.
ANONYMOUS = {"login": 200, "set_language": 302, "admin:login": 302, "admin_login": 302}
ANONYMOUS["cases:staff_welcome"] = ANONYMOUS["cases:staff_welcome_open"] = 200
ANONYMOUS["healthz"] = 503  # open, and failing in this world (tests/core/test_health.py)
ANONYMOUS["metrics"] = 404  # the bearer token only (tests/core/test_metrics.py)
# The API answers for itself: its schema and page are public, the rest 401 in JSON (POST
# and PUT addresses answer a GET with 405 first).
ANONYMOUS |= {"api:openapi-json": 200, "api:openapi-view": 200, "api:api-root": 404}
ANONYMOUS |= {f"api:{name}": 405 for name in ("person_search", "person_create", "case_create")}
ANONYMOUS |= {
    f"api:{name}": 401
    for name in (
        "person_read",
        "person_update",
        "case_read",
        "case_update",
        "case_records",
        "exchange_person",
        "figures",
        "changes",
        *(f"{op}_{verb}" for op in API_RECORD_KINDS for verb in API_RECORD_VERBS),
    )
}
ANONYMOUS |= {name: 200 for name in DIRECTORY_PAGES}
BEFORE_SECOND_FACTOR = {
    **{name: 200 for name in DIRECTORY_PAGES},
    "login": 302,
    "logout": 405,
    "set_language": 302,
    "accounts:otp_verify": 200,
    "accounts:otp_enrol": 302,
    "healthz": 503,
    "metrics": 404,
}


def rule_for(route: Route) -> Rule | None:
    if route.name in SPEC:
        return SPEC[route.name]
    if route.name.startswith("admin:<unnamed> admin/") and route.route.endswith(
        "<path:object_id>/"
    ):
        # The admin's old-style object URL redirects to the change page.
        return roles_ok({"quan"}, ok=302, refused=302)
    if route.name.startswith("admin:"):
        return admin_model_rule(route.name)
    return None


def test_every_url_has_a_rule() -> None:
    """A new page must be given its row in the matrix before it can ship."""
    missing = [route.name for route in all_routes() if rule_for(route) is None]
    assert missing == [], f"add these URLs to the authorization matrix: {missing}"


def test_people_and_cases_are_not_in_the_admin() -> None:
    """Administrators manage the directory, never case content."""
    names = {route.name for route in all_routes()}
    content = [n for n in names if n.startswith(("admin:cases_person", "admin:cases_case"))]
    assert content == []
    assert not any("emergencyaccess" in n or "audit_" in n for n in names)


# ---------------------------------------------------------------------------------------
# The objects: four sets, each in the scope of the principals named in SCOPE.

SCOPE: dict[str, set[str]] = {
    # lan's person: clinic A's case, commune 98101, province 98.
    "clinic_a": {"lan", "mai", "minh", "hoa"},
    # A person of commune 98201 with a case at clinic B: only the province's supervisor.
    "clinic_b": {"hoa"},
    # A case held by clinic B but assigned to lan: lan (not her teammate) and the supervisor.
    "assigned": {"lan", "hoa"},
    # Province 97: nobody's.
    "far": set(),
}
# Programme records (D48) are filed under a unit: the province (clinic_a), district 982
# (clinic_b), commune 98201 (assigned) and province 97 (far); hoa and quan hold province 98.
PROGRAMME_SCOPE: dict[str, set[str]] = {
    "clinic_a": PROGRAMME,
    "clinic_b": PROGRAMME,
    "assigned": PROGRAMME,
    "far": set(),
}
KIND_SCOPE = {
    kind: PROGRAMME_SCOPE
    for kind in ("course", "attendance", "volunteer", "activity", "plannedactivity")
}
# A facility is in its organisation's unit's subtree: the three sets of province 98 are in
# the scope of its supervisor and its administrator, the far one in nobody's.
FACILITY_SCOPE = {name: (FACILITY_ROLES if name != "far" else set()) for name in SCOPE}
SCOPE_BY_KIND = {"facilityprofile": FACILITY_SCOPE, "conditionreview": FACILITY_SCOPE}
KIND_SCOPE.update(SCOPE_BY_KIND)
# Emergency accesses exist for two sets only: one in hoa's province, one outside it.
EMERGENCY_SETS = ("clinic_a", "far")


@dataclass
class Objects:
    sets: dict[str, dict[str, Any]]
    admin: dict[str, str]


def _role_request(world: World, scope: AdministrativeUnit) -> RoleChangeRequest:
    """A pending request (by an administrator other than quan) to widen lan's scope."""
    requester = make_user(f"admin-{scope.code}")
    return RoleChangeRequest.objects.create(
        user=world.users["lan"],
        role=Role.CASEWORKER,
        organisation=world.orgs["clinic_a"],
        scope_unit=scope,
        requested_by=requester,
    )


@pytest.fixture
def objects(world: World, lan_person: Person, tuan_person: Person) -> Objects:
    other = AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE)
    communes = [
        AdministrativeUnit.objects.create(
            code=code, name=f"Xã {code}", level=UnitLevel.COMMUNE, parent=other
        )
        for code in ("97101", "97102")
    ]
    clinic_type = OrganisationType.objects.get(code="methadone-clinic")
    clinics = [
        Organisation.objects.create(name=f"Methadone {c.code}", type=clinic_type, unit=c)
        for c in communes
    ]
    stranger = make_user("khach")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=stranger, organisation=clinics[0], role=Role.CASEWORKER, scope_unit=communes[0]
        ),
    )
    far = [
        make_person(residence_commune=c, registered_by=o)
        for c, o in zip(communes, clinics, strict=True)
    ]
    far_case = make_case(person=far[0], organisation=clinics[0])
    make_case(person=far[1], organisation=clinics[1])
    lan = world.users["lan"]
    assigned = make_person(
        residence_commune=world.units["c3"], registered_by=world.orgs["clinic_b"]
    )
    assigned_case = make_case(person=assigned, organisation=world.orgs["clinic_b"], assigned_to=lan)
    reason = "Bệnh nhân cấp cứu, cần xem liều methadone gần nhất"
    # tuan (clinic B, district 982) breaks the glass on lan's person: inside hoa's province.
    near_grant = actions.emergency_access_grant(
        actor=world.users["tuan"], person=lan_person, reason=reason
    )
    # The stranger breaks the glass on someone of province 97: outside hoa's province.
    far_grant = actions.emergency_access_grant(actor=stranger, person=far[1], reason=reason)
    service = ServiceType.objects.get(code="counselling")
    today = datetime.date(2026, 11, 1)

    def record(case_id: UUID) -> UUID:
        return ServiceRecord.objects.create(
            case_id=case_id,
            service_type=service,
            status="planned",
            due_on=today,
            recorded_by=lan,
        ).pk

    def followup(case_id: UUID) -> UUID:
        return FollowUp.objects.create(
            case_id=case_id, kind="other", due_on=today, recorded_by=lan
        ).pk

    def episode(case_id: UUID) -> dict[str, Any]:
        """A facility episode of the case, with its first stage."""
        row = TreatmentEpisode.objects.create(
            case_id=case_id,
            modality="facility_voluntary",
            provider=world.orgs["clinic_a"],
            started_on=today,
            recorded_by=lan,
        )
        stage = EpisodeStage.objects.create(episode=row, stage=1, started_on=today)
        # A methadone episode of the case at clinic A, with a dose (no-show) to correct.
        methadone = TreatmentEpisode.objects.create(
            case_id=case_id,
            modality="methadone",
            provider=world.orgs["clinic_a"],
            started_on=today,
            recorded_by=lan,
        )
        dose = Dose.objects.create(
            episode=methadone, given_on=today, kind=DoseKind.MISSED, recorded_by=lan
        )
        return {
            "treatmentepisode": row.pk,
            "episodestage": stage.pk,
            "methadoneepisode": methadone.pk,
            "dose": dose.pk,
        }

    def referral(case_id: UUID, sender: Organisation | None = None) -> dict[str, UUID]:
        """A draft referral of the case by clinic A (or ``sender``), to an organisation that
        does not hold it."""
        case = Case.objects.get(pk=case_id)
        to = world.orgs["social"]
        row = Referral.objects.create(
            case=case,
            from_organisation=sender or world.orgs["clinic_a"],
            to_organisation=to,
            service_type=service,
            reason="Giới thiệu tư vấn",
            recorded_by=lan,
        )
        consent = Consent.objects.create(
            case=case, recorded_by=lan, method="signed", given_on=datetime.date(2026, 1, 20)
        )
        return {"referral": row.pk, "consent": consent.pk}

    def document(case_id: UUID) -> UUID:
        case = Case.objects.get(pk=case_id)
        return make_document(case, added_by=lan, kind="photo", photo=png_bytes()).pk

    def appointment(case_id: UUID) -> dict[str, UUID]:
        """An appointment on the case with lan, tomorrow."""
        row = Appointment.objects.create(
            case_id=case_id,
            starts_on=today + datetime.timedelta(days=1),
            place="Trạm y tế",
            staff=lan,
            created_by=lan,
        )
        return {"appointment": row.pk}

    def note(case_id: UUID) -> dict[str, UUID]:
        """A contact note on the case, written by lan a moment ago (inside the edit window)."""
        row = ContactNote.objects.create(
            case_id=case_id, contacted_on=today, text="Thăm nhà", author=lan
        )
        case = Case.objects.get(pk=case_id)
        member = make_person(
            residence_commune_id=case.person.residence_commune_id,
            registered_by=case.organisation,
            family_only=True,
        )
        link = FamilyLink.objects.create(
            person=case.person, relative=member, relation="parent", added_by=lan
        )
        return {"contactnote": row.pk, "familylink": link.pk}

    def casework(case_id: UUID) -> dict[str, UUID]:
        """A goal of the case's plan, and lan's request to close the case (pending)."""
        goal = PlanGoal.objects.create(
            case_id=case_id,
            need="Thiếu việc làm",
            goal="Có việc làm",
            actions="Học nghề",
            responsible=lan,
            due_on=today,
            created_by=lan,
        )
        row = CaseClosure.objects.create(
            case_id=case_id,
            kind="close",
            reason="goals_met",
            closed_on=today,
            summary="Đã hoàn thành",
            status="pending",
            requested_by=lan,
        )
        return {"plangoal": goal.pk, "caseclosure": row.pk}

    def facility(organisation: Organisation) -> dict[str, UUID]:
        """A facility profile of the organisation (its unit's supervisors and
        administrators reach it), with a review."""
        profile = make_facility_profile(organisation)
        return {"facilityprofile": profile.pk, "conditionreview": make_review(profile, lan).pk}

    def move(person_id: UUID, to: AdministrativeUnit) -> dict[str, UUID]:
        """A move of the person to a commune nobody here works in, waiting (D50)."""
        person = Person.objects.get(pk=person_id)
        row = Move.objects.create(
            person=person,
            from_commune_id=person.residence_commune_id,
            to_commune=to,
            moved_on=today,
            source="person",
            from_organisation=person.registered_by,
            recorded_by=lan,
            due_at=timezone.now() + datetime.timedelta(hours=24),
        )
        return {"move": row.pk}

    def plan(unit: AdministrativeUnit) -> dict[str, UUID]:
        """A plan of the unit (supervisors of it or above may change it), with a target."""
        row = make_plan(unit)
        return {"plan": row.pk, "target": make_target(row).pk}

    def programme(unit: AdministrativeUnit, commune: AdministrativeUnit) -> dict[str, UUID]:
        """A course with an attendee, a volunteer, an activity in the commune and a planned
        activity of the unit's plan (D48)."""
        day = datetime.date(2026, 3, 2)
        course = Course.objects.create(
            title="Tập huấn",
            topic=Topic.objects.get(code="treatment"),
            audience="commune_staff",
            organiser="Sở",
            unit=unit,
            starts_on=day,
            ends_on=day,
        )
        volunteer = Volunteer.objects.create(name="Tình Nguyện", unit=unit, registered_on=day)
        attendance = Attendance.objects.create(
            course=course, volunteer=volunteer, role=AttendeeRole.VOLUNTEER
        )
        activity = Activity.objects.create(
            kind="session", held_on=day, commune=commune, organiser="UBND xã", male=3
        )
        planned = PlannedActivity.objects.create(
            plan=Plan.objects.get(unit=unit),
            unit=unit,
            kind="session",
            quantity=2,
            starts_on=day,
            ends_on=day,
        )
        return {
            "course": course.pk,
            "attendance": attendance.pk,
            "volunteer": volunteer.pk,
            "activity": activity.pk,
            "plannedactivity": planned.pk,
        }

    return Objects(
        sets={
            "clinic_a": {
                "person": lan_person.pk,
                "case": Case.objects.get(person=lan_person).pk,
                "emergencyaccess": near_grant.pk,
                "rolechangerequest": _role_request(world, world.units["c2"]).pk,
                "servicerecord": record(Case.objects.get(person=lan_person).pk),
                "followup": followup(Case.objects.get(person=lan_person).pk),
                **episode(Case.objects.get(person=lan_person).pk),
                "document": document(Case.objects.get(person=lan_person).pk),
                **referral(Case.objects.get(person=lan_person).pk),
                **plan(world.units["province"]),
                **programme(world.units["province"], world.units["c4"]),
                **facility(world.orgs["clinic_a"]),
                **note(Case.objects.get(person=lan_person).pk),
                **casework(Case.objects.get(person=lan_person).pk),
                **appointment(Case.objects.get(person=lan_person).pk),
                **move(lan_person.pk, world.units["c2"]),
            },
            "clinic_b": {
                "person": tuan_person.pk,
                "case": Case.objects.get(person=tuan_person).pk,
                "servicerecord": record(Case.objects.get(person=tuan_person).pk),
                "followup": followup(Case.objects.get(person=tuan_person).pk),
                **episode(Case.objects.get(person=tuan_person).pk),
                "document": document(Case.objects.get(person=tuan_person).pk),
                **referral(Case.objects.get(person=tuan_person).pk),
                **plan(world.units["d2"]),
                **programme(world.units["d2"], world.units["c3"]),
                **facility(world.orgs["clinic_b"]),
                **note(Case.objects.get(person=tuan_person).pk),
                **casework(Case.objects.get(person=tuan_person).pk),
                **appointment(Case.objects.get(person=tuan_person).pk),
                **move(tuan_person.pk, world.units["c2"]),
            },
            "assigned": {
                "person": assigned.pk,
                "case": assigned_case.pk,
                "servicerecord": record(assigned_case.pk),
                "followup": followup(assigned_case.pk),
                **episode(assigned_case.pk),
                "document": document(assigned_case.pk),
                **referral(assigned_case.pk),
                **plan(world.units["c3"]),
                **programme(world.units["c3"], world.units["c3"]),
                **facility(world.orgs["commune_x"]),
                **note(assigned_case.pk),
                **casework(assigned_case.pk),
                **appointment(assigned_case.pk),
                **move(assigned.pk, world.units["c2"]),
            },
            "far": {
                "person": far[0].pk,
                "case": far_case.pk,
                "servicerecord": record(far_case.pk),
                "followup": followup(far_case.pk),
                **episode(far_case.pk),
                # Sent by its holder: a supervisor's part follows the sender's area, and
                # clinic A (in hoa's province) would make hoa the far referral's supervisor.
                "document": document(far_case.pk),
                **referral(far_case.pk, clinics[0]),
                **plan(other),
                **programme(other, communes[0]),
                **facility(clinics[0]),
                **note(far_case.pk),
                **casework(far_case.pk),
                **appointment(far_case.pk),
                **move(far[0].pk, communes[1]),
                "emergencyaccess": far_grant.pk,
                "rolechangerequest": _role_request(world, communes[0]).pk,
            },
        },
        admin={
            "auth_group": str(Group.objects.get(name=Role.CASEWORKER).pk),
            "accounts_user": str(lan.pk),
            "auth_user": str(lan.pk),
            "cases_administrativeunit": str(world.units["c1"].pk),
            "cases_organisationtype": str(clinic_type.pk),
            "cases_organisation": str(world.orgs["clinic_a"].pk),
            "cases_staffprofile": str(StaffProfile.objects.get(user=lan).pk),
            "cases_rolechangerequest": str(RoleChangeRequest.objects.first().pk),  # type: ignore[union-attr]
            "cases_directorychangerequest": str(
                DirectoryChangeRequest.objects.create(
                    kind=DirectoryChangeRequest.Kind.UNIT_MOVE,
                    unit=world.units["c2"],
                    to_unit=world.units["d2"],
                    requested_by=make_user("admin-directory"),
                ).pk
            ),
            "services_servicetype": str(ServiceType.objects.get(code="counselling").pk),
            "calendar_days_publicholiday": str(
                PublicHoliday.objects.get(day=datetime.date(2026, 9, 2)).pk
            ),
        },
    )


def _url(route: Route, objects: Objects, chosen_set: str) -> tuple[str, str | None, UUID | None]:
    """Return the URL to request, and the kind and id of the scoped object it names."""
    chosen = objects.sets[chosen_set]
    model = "_".join(route.route.split("/")[1:3])  # admin/<app>/<model>/...
    values: dict[str, str] = {}
    kind, object_id = None, None
    for param in route.params:
        if param in OBJECT_PARAMS:
            kind = OBJECT_PARAMS[param]
            object_id = chosen[kind]
            values[param] = str(object_id)
        elif param == "object_id" and route.name == "admin:view_on_site":
            values[param] = str(objects.admin["cases_organisation"])
        elif param == "object_id":
            values[param] = objects.admin[model]
        elif param == "content_type_id":
            values[param] = str(ContentType.objects.get_for_model(Organisation).pk)
        elif param == "id":
            values[param] = objects.admin["accounts_user"]
        elif param == "app_label":
            values[param] = "cases"
        elif param == "url":
            values[param] = "no-such-page/"
        elif param == "fmt":
            values[param] = "csv"
        elif param == "record_type":
            values[param] = "services.servicerecord"  # the record the set names
        elif param == "kind_slug":
            values[param] = "service"  # the record the set names is a service record
        elif param == "sheet":
            values[param] = "nguoi_ho_so"
        elif param in (
            "notification_id",
            "invitation_id",
            "reset_id",
            "file_id",
            "import_id",
            "export_id",
            "client_id",
            "screening_id",
            "casenote_id",
        ):
            values[param] = "00000000-0000-4000-8000-000000000000"
        elif param == "province_code":
            values[param] = "98"  # the world's province
        elif param in ("uidb64", "token"):
            values[param] = "MQ" if param == "uidb64" else "no-such-token"
        else:
            raise AssertionError(f"{route.name}: no value for URL parameter {param}")
    if "<unnamed>" not in route.name:
        return reverse(route.name, kwargs=values), kind, object_id
    path = route.route
    for param, value in values.items():
        path = path.replace(f"<path:{param}>", value).replace(f"(?P<{param}>.*)$", value)
    return "/" + path, kind, object_id


def _sets_for(route: Route) -> tuple[str, ...]:
    kinds = {OBJECT_PARAMS[p] for p in route.params if p in OBJECT_PARAMS}
    if not kinds:
        return ("clinic_a",)  # no object in the URL: one cell
    if kinds & {"emergencyaccess", "rolechangerequest"}:
        return EMERGENCY_SETS  # one in hoa's province, one outside it
    return tuple(SCOPE)


def _cells(objects: Objects) -> Iterator[tuple[Route, str, str, str | None, UUID | None]]:
    """Yield each URL once per object set it can name, with the set's name."""
    for route in all_routes():
        for chosen_set in _sets_for(route):
            url, kind, object_id = _url(route, objects, chosen_set)
            yield route, chosen_set, url, kind, object_id


def _request(client: Client, route: Route, url: str) -> Any:
    return client.post(url) if route.name in POST_ONLY else client.get(url)


def _denials(user_pk: int, object_id: UUID) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor_id=user_pk, object_id=str(object_id)
    ).count()


@pytest.mark.parametrize("who", list(ROLES))
def test_role_matrix(world: World, objects: Objects, who: str) -> None:
    """Each role gets the expected status on every URL; refused objects leave a denial."""
    client = world.client(who)
    user = world.users[who]
    wrong: list[str] = []
    cells = 0
    for route, chosen_set, url, kind, object_id in _cells(objects):
        rule = rule_for(route)
        assert rule is not None, route.name
        expected = rule(who, who in KIND_SCOPE.get(kind or "", SCOPE)[chosen_set])
        before = _denials(user.pk, object_id) if object_id else 0
        status = _request(client, route, url).status_code
        cells += 1
        if status != expected:
            wrong.append(f"{route.name} [{chosen_set}] {url}: got {status}, expected {expected}")
        if object_id is not None and expected == 404:
            left = _denials(user.pk, object_id) - before
            if left != 1:
                wrong.append(f"{route.name} [{chosen_set}]: {left} denial events, expected 1")
    assert wrong == [], "\n".join(wrong)
    assert cells >= len(all_routes())


def test_anonymous_reaches_only_the_sign_in_pages(world: World, objects: Objects) -> None:
    """Without signing in, every page but the sign-in ones sends the visitor to log in."""
    client = Client()
    wrong = []
    for route, _set, url, _kind, _id in _cells(objects):
        response = _request(client, route, url)
        expected = ANONYMOUS.get(route.name, 302)
        if response.status_code != expected:
            wrong.append(f"{route.name} {url}: {response.status_code}, expected {expected}")
        elif route.name not in ANONYMOUS:
            logins = (reverse("login"), reverse("admin:login"))
            if not response["Location"].startswith(logins):
                wrong.append(f"{route.name} {url}: sent to {response['Location']}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("enrolled", [True, False])
def test_second_factor_is_required_on_every_page(
    world: World, objects: Objects, enrolled: bool
) -> None:
    """Signed in with the password only: every page, the admin included, asks for the code.

    ASVS 6.3.3: the second factor is enforced server-side for every route."""
    user = world.users["quan"]  # the administrator: the admin must ask too
    if enrolled:
        from accounts.actions import totp_device_create

        totp_device_create(user=user, confirmed=True)
    client = signed_in_client(user, second_factor=False)
    target = reverse("accounts:otp_verify" if enrolled else "accounts:otp_enrol")
    wrong = []
    for route, _set, url, _kind, _id in _cells(objects):
        response = _request(client, route, url)
        if route.name in BEFORE_SECOND_FACTOR:
            continue
        if response.status_code != 302 or not response["Location"].startswith(target):
            wrong.append(f"{route.name} {url}: {response.status_code} {response.get('Location')}")
    assert wrong == [], "\n".join(wrong)


def test_matrix_size(objects: Objects) -> None:
    """Report the size of the matrix (printed with -s; recorded in the closing note)."""
    routes = all_routes()
    cells = sum(1 for _ in _cells(objects))
    print(
        f"authorization matrix: {len(routes)} URLs, {cells} URL×object-set cells, "
        f"{len(PRINCIPALS)} principals = {cells * len(PRINCIPALS)} requests"
    )
    assert len(routes) > 50


# ---------------------------------------------------------------------------------------
# POST cells: a valid edit, sent by someone who may not make it, is refused, changes
# nothing and leaves a denial. The same edit sent by the owner does change the row, so the
# refused cells could fail.

# (URL name, object set, who) — the outsider, the supervisor, the auditor, and the teammate
# on a case assigned to lan alone. Every one of them must get 404.
POST_REFUSED = [
    (url_name, chosen_set, who)
    for url_name in ("cases:person_edit", "cases:case_edit", "cases:case_create")
    for chosen_set, who in (
        ("clinic_a", "tuan"),  # the outsider (his emergency access is read-only)
        ("clinic_a", "hoa"),  # the supervisor reads and reviews, never edits
        ("clinic_a", "an"),  # the auditor never reaches case content
        ("clinic_b", "lan"),  # another clinic's person
        ("clinic_b", "minh"),  # outside the commune officer's commune
        ("assigned", "mai"),  # the teammate: the case is assigned to lan, held elsewhere
        ("far", "hoa"),  # another province
    )
] + [
    ("cases:emergency_review", "clinic_a", "lan"),  # not a reviewer
    ("cases:emergency_review", "clinic_a", "tuan"),  # not a reviewer, and his own grant
    ("cases:emergency_review", "far", "hoa"),  # a supervisor outside his province
]
# Who may make each edit on each set (the positive control).
OWNER = {"clinic_a": "lan", "clinic_b": "tuan", "assigned": "lan", "far": "khach"}


def _row(url_name: str, objects: Objects, chosen_set: str) -> Any:
    """Return what the POST could change: the row, or the person's cases."""
    ids = objects.sets[chosen_set]
    if url_name == "cases:person_edit":
        return Person.objects.filter(pk=ids["person"]).values().get()
    if url_name == "cases:case_edit":
        return Case.objects.filter(pk=ids["case"]).values().get()
    if url_name == "cases:case_create":
        return sorted(Case.objects.filter(person=ids["person"]).values_list("pk", flat=True))
    return EmergencyAccess.objects.filter(pk=ids["emergencyaccess"]).values().get()


def _owner_client(world: World, chosen_set: str) -> Client:
    name = OWNER[chosen_set]
    user = world.users.get(name) or User.objects.get(username=name)
    return signed_in_client(user)


def _post(
    world: World, objects: Objects, url_name: str, chosen_set: str
) -> tuple[str, dict[str, Any]]:
    """Return the URL and a valid edit for it, with the hidden fields the owner's form holds
    (a version number, say)."""
    ids = objects.sets[chosen_set]
    kind = (
        "emergencyaccess"
        if url_name == "cases:emergency_review"
        else ("case" if url_name == "cases:case_edit" else "person")
    )
    url = reverse(url_name, args=[ids[kind]])
    if url_name == "cases:emergency_review":
        return url, {"justified": "no", "note": "Không có căn cứ cấp cứu", "confirm": "on"}
    owner = _owner_client(world, chosen_set)
    form = owner.get(url).context["form"]
    hidden = {f.name: f.value() for f in form.hidden_fields() if f.value() is not None}
    if url_name == "cases:person_edit":
        commune = Person.objects.get(pk=ids["person"]).residence_commune_id
        edit = _person_form(world, full_name="Người Đã Bị Sửa", residence_commune=str(commune))
        return url, {**hidden, **edit}
    # An edit keeps the holder (only a transfer changes it); a new case is the owner's.
    organisation = (
        Case.objects.get(pk=ids["case"]).organisation
        if url_name == "cases:case_edit"
        else User.objects.get(username=OWNER[chosen_set]).staff.organisation
    )
    data = _case_form(
        world, organisation=str(organisation.pk), assigned_to="", notes="Ghi chú đã bị sửa"
    )
    return url, {**hidden, **data}


@pytest.mark.parametrize(("url_name", "chosen_set", "who"), POST_REFUSED)
def test_a_refused_post_changes_nothing_and_leaves_a_denial(
    world: World, objects: Objects, url_name: str, chosen_set: str, who: str
) -> None:
    """ASVS 8.2.2, 8.3.1: a write outside the user's scope is refused server-side, the row
    is unchanged, and the refusal is in the audit log."""
    url, data = _post(world, objects, url_name, chosen_set)
    user = world.users[who]
    object_id = UUID(url.rstrip("/").split("/")[-2 if url_name != "cases:case_create" else -3])
    before_row = _row(url_name, objects, chosen_set)
    before_denials = _denials(user.pk, object_id)
    response = world.client(who).post(url, data)
    assert response.status_code == 404
    assert _row(url_name, objects, chosen_set) == before_row
    assert _denials(user.pk, object_id) - before_denials == 1


@pytest.mark.parametrize(
    ("url_name", "chosen_set"),
    sorted({(url_name, chosen_set) for url_name, chosen_set, _who in POST_REFUSED}),
)
def test_the_same_post_by_the_owner_does_change_the_row(
    world: World, objects: Objects, url_name: str, chosen_set: str
) -> None:
    url, data = _post(world, objects, url_name, chosen_set)
    before = _row(url_name, objects, chosen_set)
    owner = world.client("an") if url_name == "cases:emergency_review" else None
    response = (owner or _owner_client(world, chosen_set)).post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert _row(url_name, objects, chosen_set) != before


@pytest.mark.parametrize("who", ["hoa", "an", "quan"])
def test_a_refused_registration_creates_no_person(world: World, who: str) -> None:
    """ASVS 8.2.1: roles that do not register people are refused, and nothing is saved."""
    before = Person.objects.count()
    response = world.client(who).post(reverse("cases:person_create"), _person_form(world))
    assert response.status_code == 403
    assert Person.objects.count() == before


# ---------------------------------------------------------------------------------------
# The admin's writes: units, organisations, organisation types and users decide who sees
# what. An administrator's add and change go through the action and leave an event; delete
# is no administrator's permission (a superuser's goes through the action too); every other
# role is sent to the admin's login and changes nothing (issue 22, item 5).

ADMIN_WRITE_MODELS = {
    "cases_administrativeunit": (AdministrativeUnit, "name"),
    "cases_organisation": (Organisation, "name"),
    "cases_organisationtype": (OrganisationType, "name"),
    "accounts_user": (User, "first_name"),
}
WRITE_EVENTS = {
    "directory_changed",
    "user_changed",
    "user_deleted",
    "account_created",
    "unit_moved",
    "organisation_moved",
}


def _admin_add_data(world: World, model: str) -> dict[str, Any]:
    clinic_type = world.orgs["clinic_a"].type
    return {
        "cases_administrativeunit": {
            "code": "98103",
            "name": "Xã Mới Lập",
            "level": "commune",
            "parent": str(world.units["d1"].pk),
            "is_active": "on",
        },
        "cases_organisation": {
            "name": "Trung tâm Mới",
            "type": str(clinic_type.pk),
            "unit": str(world.units["d1"].pk),
            "is_active": "on",
        },
        "cases_organisationtype": {"code": "youth-union", "name": "Đoàn thanh niên"},
        "accounts_user": {
            "username": "nguoimoi",
            "usable_password": "true",
            "password1": "mot-mat-khau-rat-dai-2026",
            "password2": "mot-mat-khau-rat-dai-2026",
        },
    }[model]


def _disposable(world: World, model: str) -> Any:
    """Return a row nothing refers to, which a delete may remove."""
    if model == "cases_administrativeunit":
        return AdministrativeUnit.objects.create(
            code="98109", name="Xã Bỏ", level=UnitLevel.COMMUNE, parent=world.units["d1"]
        )
    if model == "cases_organisation":
        return Organisation.objects.create(
            name="Tổ Bỏ", type=world.orgs["clinic_a"].type, unit=world.units["d1"]
        )
    if model == "cases_organisationtype":
        return OrganisationType.objects.create(code="throwaway", name="Loại bỏ")
    return make_user("nguoibo")


def _snapshot(model: str) -> list[Any]:
    table, _field = ADMIN_WRITE_MODELS[model]
    return sorted(map(str, table._default_manager.values_list()))


def _write_events() -> int:
    return Event.objects.filter(action__in=WRITE_EVENTS).count()


def _admin_write(world: World, model: str, verb: str) -> tuple[str, dict[str, Any], Any]:
    """Return the URL, the POST data and the row of one admin write."""
    from tests.cases.test_directory_admin import admin_form

    table, field = ADMIN_WRITE_MODELS[model]
    app, name = model.split("_", 1)
    if verb == "add":
        return reverse(f"admin:{model}_add"), _admin_add_data(world, model), None
    row = _disposable(world, model)
    if verb == "delete":
        return reverse(f"admin:{model}_delete", args=[row.pk]), {"post": "yes"}, row
    url = reverse(f"admin:{model}_change", args=[row.pk])
    data = admin_form(world.client("quan"), url)
    data[field] = "Tên Đã Đổi"
    return url, data, row


@pytest.mark.parametrize("verb", ["add", "change", "delete"])
@pytest.mark.parametrize("model", list(ADMIN_WRITE_MODELS))
def test_an_administrators_admin_write_goes_through_the_action(
    world: World, model: str, verb: str
) -> None:
    """ASVS 8.2.1, 16.3.2: an administrator's add and change in the admin leave an event
    naming the fields; a delete is refused (403) and the row stays."""
    url, data, row = _admin_write(world, model, verb)
    client = world.client("quan")  # signing in sets last_login: before the snapshot
    before_rows, before_events = _snapshot(model), _write_events()
    response = client.post(url, data)
    if verb == "delete":
        assert response.status_code == 403
        assert _snapshot(model) == before_rows
        return
    assert response.status_code == 302, response.context and response.context["adminform"].errors
    assert _snapshot(model) != before_rows
    assert _write_events() == before_events + 1
    event = Event.objects.filter(action__in=WRITE_EVENTS).latest("seq")
    assert event.actor == world.users["quan"]
    if verb == "change":
        assert event.detail["fields"] == [ADMIN_WRITE_MODELS[model][1]]
        assert "Tên Đã Đổi" not in str(event.detail)


@pytest.mark.parametrize("model", list(ADMIN_WRITE_MODELS))
def test_a_superusers_admin_delete_goes_through_the_action(world: World, model: str) -> None:
    """A superuser may delete a row nothing refers to: through the action, with its event."""
    root = User.objects.create_superuser("root", password="root-passphrase-long-2026")
    url, data, row = _admin_write(world, model, "delete")
    before = _write_events()
    response = signed_in_client(root).post(url, data)
    assert response.status_code == 302
    assert not type(row)._default_manager.filter(pk=row.pk).exists()
    event = Event.objects.filter(action__in=WRITE_EVENTS).latest("seq")
    assert (event.actor, event.object_id) == (root, str(row.pk))
    assert _write_events() == before + 1


@pytest.mark.parametrize("verb", ["add", "change", "delete"])
@pytest.mark.parametrize("model", list(ADMIN_WRITE_MODELS))
@pytest.mark.parametrize("who", ["lan", "minh", "hoa", "an", "mai"])
def test_an_admin_write_by_another_role_is_refused(
    world: World, model: str, verb: str, who: str
) -> None:
    """ASVS 8.2.1, 8.3.1: no other role reaches the admin: sent to its login, nothing saved."""
    url, data, _row = _admin_write(world, model, verb)
    client = world.client(who)
    before_rows, before_events = _snapshot(model), _write_events()
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert _snapshot(model) == before_rows
    assert _write_events() == before_events


# A receiver limited to parts. tuan (clinic B) accepted a referral of lan's case that shares
# some parts only. Every page that names the person, the case or one of its records, and
# every search kind, is tried for each choice of parts: a record page opens only if its part
# was shared (else 404 and one denial naming the object), a write never (the grant is view
# only), and no page that opens shows who the person is unless "identity" was shared.
# ASVS 8.2.2 (data-level access), 8.2.3 (field-level access).

PART_SETS = {
    "screenings": ("screenings",),
    "treatment": ("treatment",),
    "treatment+methadone": ("treatment", "methadone"),
    "notes": ("notes",),
    "identity": ("identity",),
}
# What each object-naming URL needs from the parts: a tuple of parts (200 when all are
# shared, else 404), ALWAYS (200: the person, the case, the receiver's own referral) or
# NEVER (404: writes, and pages that need the whole record).
ALWAYS, NEVER = "always", "never"
# URLs named by objects that are not a person's record, with why they are left out.
NOT_PERSON_BEARING = {
    # POST only, with a JSON body: tests/api/test_api_matrix.py sends the receiver's write.
    "api:case_create": "the API's case opening (a write; tried with a body in tests/api)",
    "cases:emergency_review": "an emergency access (reviewers' pages)",
    "cases:emergency_revoke": "an emergency access (reviewers' pages)",
    "cases:role_request_decide": "a role change request (approvers' pages)",
    **{
        f"reports:{name}": "a plan or its target (supervisors' pages, no person)"
        for name in ("plan_detail", "plan_edit", "target_add", "target_edit", "target_remove")
    },
    **{
        f"programme:{name}": "a course, attendee, volunteer or activity of a unit: no client's "
        "record (programme.view/change, D48)"
        for name in PROGRAMME_OBJECT_PAGES
    },
    **{
        f"facilities:{name}": "a facility or its review (the registry's pages, no person)"
        for name in ("facility_detail", "facility_edit", "review_add", "review_detail")
    },
}


@dataclass(frozen=True)
class PartCell:
    route: str
    url: str
    needs: str | tuple[str, ...]
    object_id: Any
    post: bool = False


@dataclass
class Received:
    person: Person
    cells: list[PartCell]
    timeline: dict[str, tuple[str, ...]]  # a record page's URL → the parts its entry needs


@pytest.fixture
def received(world: World, lan_person: Person) -> Received:
    """Lan's case with a record of every part, and everything tuan could try on it."""
    from decimal import Decimal

    from services.methadone.models import Phase, Prescription
    from services.models import FollowUp, Screening
    from tests.services.test_screening_records import _assist_answers

    lan = world.users["lan"]
    person = Person.objects.get(pk=lan_person.pk)
    person.old_id_number = "012345678"
    person.address = "Số 7 ngõ Bí Mật"
    person.save()
    case = Case.objects.get(person=person)
    url = reverse("services:record_add", args=[case.pk, "screening-assist"])
    assert world.client("lan").post(url, _assist_answers()).status_code == 302
    screening = Screening.objects.get(case=case)
    day = datetime.date(2026, 11, 1)
    facility = TreatmentEpisode.objects.create(
        case=case,
        modality="facility_voluntary",
        provider=world.orgs["clinic_a"],
        started_on=day,
        recorded_by=lan,
    )
    stage = EpisodeStage.objects.create(episode=facility, stage=1, started_on=day)
    methadone = TreatmentEpisode.objects.create(
        case=case,
        modality="methadone",
        provider=world.orgs["clinic_a"],
        started_on=day,
        recorded_by=lan,
    )
    Prescription.objects.create(
        case=case,
        episode=methadone,
        starts_on=day,
        dose_mg=Decimal(60),
        phase=Phase.MAINTENANCE,
        prescriber=lan,
        recorded_by=lan,
    )
    dose = Dose.objects.create(
        episode=methadone, given_on=day, kind=DoseKind.MISSED, recorded_by=lan
    )
    service = ServiceRecord.objects.create(
        case=case,
        service_type=ServiceType.objects.get(code="counselling"),
        status="planned",
        due_on=day,
        recorded_by=lan,
    )
    follow_up = FollowUp.objects.create(case=case, kind="other", due_on=day, recorded_by=lan)
    referral = Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="medical"),
        reason="Chuyển gửi thử",
        recorded_by=lan,
        state="sent",
        sent_on=day,
    )

    consent = Consent.objects.create(
        case=case, recorded_by=lan, method="signed", given_on=datetime.date(2026, 10, 20)
    )

    photo = make_document(case, added_by=lan, kind="photo", photo=png_bytes())
    certificate = make_document(case, added_by=lan, kind="medical")
    other = make_document(case, added_by=lan, kind="other")
    # On the screening (D55): "other" takes the record's part, "screenings".
    on_screening = make_document(case, added_by=lan, kind="other", record=screening)
    note = ContactNote.objects.create(case=case, contacted_on=day, text="Thăm nhà", author=lan)
    meeting = Appointment.objects.create(
        case=case, starts_on=day, place="Trạm y tế", staff=lan, created_by=lan
    )
    family = FamilyLink.objects.create(
        person=person,
        relative=make_person(residence_commune=world.units["c1"], registered_by=case.organisation),
        relation="parent",
        added_by=lan,
    )

    goal = PlanGoal.objects.create(
        case=case,
        need="Nợ",
        goal="Trả nợ",
        actions="Tư vấn",
        responsible=lan,
        due_on=day,
        created_by=lan,
    )
    closing = CaseClosure.objects.create(
        case=case,
        kind="close",
        reason="goals_met",
        closed_on=day,
        summary="Xong",
        status="pending",
        requested_by=lan,
    )

    moving = Move.objects.create(
        person=person,
        from_commune_id=person.residence_commune_id,
        to_commune=world.units["c4"],
        moved_on=day,
        source="family",
        from_organisation=case.organisation,
        recorded_by=lan,
        due_at=timezone.now() + datetime.timedelta(hours=24),
    )

    def cell(route: str, needs: Any, obj: Any, *args: Any, post: bool = False) -> PartCell:
        return PartCell(route, reverse(route, args=args), needs, obj, post)

    detail = "services:record_detail"
    edit = "services:record_edit"
    routes = {route.name for route in all_routes()}
    cells = [
        cell("cases:person_detail", ALWAYS, person.pk, person.pk),
        cell("cases:case_detail", ALWAYS, case.pk, case.pk),
        cell("cases:person_history", NEVER, person.pk, person.pk),
        cell("cases:person_edit", NEVER, person.pk, person.pk),
        cell("cases:case_edit", NEVER, case.pk, case.pk),
        cell("cases:case_create", NEVER, person.pk, person.pk),
        cell(detail, ("screenings",), screening.pk, "screening-assist", screening.pk),
        cell(detail, ("treatment",), facility.pk, "episode", facility.pk),
        cell(detail, ("treatment",), methadone.pk, "episode", methadone.pk),
        cell(detail, ("notes",), follow_up.pk, "follow-up", follow_up.pk),
        cell(detail, NEVER, service.pk, "service", service.pk),  # in no part
        cell(edit, NEVER, screening.pk, "screening-assist", screening.pk),
        cell(edit, NEVER, facility.pk, "episode", facility.pk),
        cell(edit, NEVER, follow_up.pk, "follow-up", follow_up.pk),
        cell("services:record_add", NEVER, case.pk, case.pk, "follow-up"),
        cell("services:stage_add", NEVER, facility.pk, facility.pk),
        cell("services:stage_edit", NEVER, stage.pk, stage.pk),
        cell("methadone:episode", ("treatment", "methadone"), methadone.pk, methadone.pk),
        cell("methadone:episode_figures", ("treatment", "methadone"), methadone.pk, methadone.pk),
        cell("methadone:prescription_add", NEVER, methadone.pk, methadone.pk),
        cell("methadone:dose_record", NEVER, methadone.pk, methadone.pk, post=True),
        cell("methadone:dose_correct", NEVER, dose.pk, dose.pk),
        cell("methadone:dose_override", NEVER, methadone.pk, methadone.pk),
        cell("services:followup_record", NEVER, follow_up.pk, follow_up.pk),
        cell("referrals:consent_withdraw", NEVER, consent.pk, consent.pk),
        # The receiver who accepted adds colleagues to it (referrals.md): the page opens.
        cell("referrals:referral_staff", ALWAYS, referral.pk, referral.pk),
        cell("referrals:referral_detail", ALWAYS, referral.pk, referral.pk),
        cell("referrals:referral_act", ALWAYS, referral.pk, referral.pk, post=True),
        cell("referrals:referral_edit", NEVER, referral.pk, referral.pk),
        cell("referrals:referral_create", NEVER, case.pk, case.pk),
        # A document opens with its own part: an ID photo with identity, a certificate with
        # treatment; a document of no part, and every write, never.
        cell("documents:document_detail", ("identity",), photo.pk, photo.pk),
        cell("documents:document_file", ("identity",), photo.pk, photo.pk),
        cell("documents:document_thumbnail", ("identity",), photo.pk, photo.pk),
        cell("documents:document_detail", ("treatment",), certificate.pk, certificate.pk),
        cell("documents:document_file", ("treatment",), certificate.pk, certificate.pk),
        cell("documents:document_detail", NEVER, other.pk, other.pk),
        cell("documents:document_file", NEVER, other.pk, other.pk),
        cell("documents:document_edit", NEVER, photo.pk, photo.pk),
        cell("documents:document_withdraw", NEVER, photo.pk, photo.pk),
        cell("documents:document_replace", NEVER, photo.pk, photo.pk),
        cell("documents:document_add", NEVER, case.pk, case.pk),
        cell("documents:document_detail", ("screenings",), on_screening.pk, on_screening.pk),
        cell("documents:document_file", ("screenings",), on_screening.pk, on_screening.pk),
        cell(
            "documents:record_document_add",
            NEVER,
            screening.pk,
            "services.screening",
            screening.pk,
        ),
        cell("cases:note_detail", ("notes",), note.pk, note.pk),
        cell("cases:note_edit", NEVER, note.pk, note.pk),
        cell("cases:note_addendum", NEVER, note.pk, note.pk),
        cell("cases:note_add", NEVER, case.pk, case.pk),
        cell("cases:family_add", NEVER, person.pk, person.pk),
        cell("cases:family_remove", NEVER, family.pk, family.pk, post=True),
        # The plan and closing are the whole case's (D45): never to a parts-limited receiver.
        cell("cases:goal_add", NEVER, case.pk, case.pk),
        cell("cases:goal_detail", NEVER, goal.pk, goal.pk),
        cell("cases:goal_review", NEVER, goal.pk, goal.pk),
        cell("cases:case_close", NEVER, case.pk, case.pk),
        cell("cases:case_reopen", NEVER, case.pk, case.pk),
        cell("cases:closure_detail", NEVER, closing.pk, closing.pk),
        cell("cases:closure_decide", NEVER, closing.pk, closing.pk, post=True),
        # Appointments go with "treatment"; the summary opens for every receiver, showing
        # only the shared parts (never a name without "identity": the secrets check).
        cell("appointments:appointment_detail", ("treatment",), meeting.pk, meeting.pk),
        cell("appointments:appointment_edit", NEVER, meeting.pk, meeting.pk),
        cell("appointments:appointment_add", NEVER, case.pk, case.pk),
        cell("cases:case_summary", ALWAYS, case.pk, case.pk),
        # The API's reads: the person and case (identity only if shared), the case's
        # records as its timeline (the shared parts). A GET on the PUT address reads.
        cell("api:person_read", ALWAYS, person.pk, person.pk),
        cell("api:person_update", ALWAYS, person.pk, person.pk),
        cell("api:case_read", ALWAYS, case.pk, case.pk),
        cell("api:case_update", ALWAYS, case.pk, case.pk),
        cell("api:case_records", ALWAYS, case.pk, case.pk),
        # The exchange document is the whole person's (D60): never to a parts-limited one.
        cell("api:exchange_person", NEVER, person.pk, person.pk),
        # The record kinds (D58): a list opens (its rows are the shared parts' only), a row
        # opens as its page does.
        # A GET on the add and change URLs is the list and the read.
        *(
            cell(f"api:{op}_{verb}", ALWAYS, case.pk, case.pk)
            for op in API_RECORD_KINDS
            for verb in ("list", "create")
            if f"api:{op}_{verb}" in routes
        ),
        *(
            cell(f"api:{op}_{verb}", needs, row.pk, row.pk)
            for op, needs, row in (
                ("screenings", ("screenings",), screening),
                ("treatment_episodes", ("treatment",), facility),
                ("services", NEVER, service),
                ("methadone_doses", ("methadone",), dose),
                ("referrals", ALWAYS, referral),
                ("contact_notes", ("notes",), note),
                ("plan_goals", NEVER, goal),
                ("case_closures", NEVER, closing),
                ("appointments", ("treatment",), meeting),
                ("documents", ("identity",), photo),
            )
            for verb in ("read", "update")
            if f"api:{op}_{verb}" in routes
        ),
        # A move is the whole person's (D50): never to a parts-limited receiver.
        cell("cases:move_record", NEVER, person.pk, person.pk),
        cell("cases:move_detail", NEVER, moving.pk, moving.pk),
        cell("cases:move_accept", NEVER, moving.pk, moving.pk, post=True),
    ]
    timeline: dict[str, tuple[str, ...]] = {
        reverse(detail, args=["screening-assist", screening.pk]): ("screenings",),
        reverse(detail, args=["episode", facility.pk]): ("treatment",),
        reverse(detail, args=["follow-up", follow_up.pk]): ("notes",),
        reverse(detail, args=["service", service.pk]): ("whole case",),
        reverse("methadone:episode", args=[methadone.pk]): ("methadone",),
        reverse("documents:document_detail", args=[photo.pk]): ("identity",),
        reverse("documents:document_detail", args=[certificate.pk]): ("treatment",),
        reverse("documents:document_detail", args=[other.pk]): ("whole case",),
        reverse("documents:document_detail", args=[on_screening.pk]): ("screenings",),
        reverse("cases:note_detail", args=[note.pk]): ("notes",),
        reverse("cases:goal_detail", args=[goal.pk]): ("whole case",),
        reverse("cases:closure_detail", args=[closing.pk]): ("whole case",),
        reverse("appointments:appointment_detail", args=[meeting.pk]): ("treatment",),
    }
    return Received(person, cells, timeline)


def _accept_parts(world: World, person: Person, parts: tuple[str, ...]) -> None:
    from referrals import actions as referral_actions

    referral = Referral.objects.get(case__person=person, to_organisation=world.orgs["clinic_b"])
    Referral.objects.filter(pk=referral.pk).update(parts=list(parts))
    referral_actions.referral_act(
        actor=world.users["tuan"], referral_id=referral.pk, action="accept"
    )


def _identifiers(person: Person) -> tuple[str, ...]:
    return (person.full_name, person.citizen_id, person.phone, person.old_id_number, person.address)


def test_every_person_bearing_url_has_a_parts_rule(received: Received) -> None:
    """A new page that names a person, a case or a record needs its row in the parts matrix."""
    tried = {c.route for c in received.cells}
    named = {
        route.name
        for route in all_routes()
        if any(p in OBJECT_PARAMS for p in route.params) and not route.name.startswith("admin:")
    }
    missing = sorted(named - tried - set(NOT_PERSON_BEARING))
    assert missing == [], f"add these URLs to the parts-limited receiver's cells: {missing}"


@pytest.mark.parametrize("parts_name", list(PART_SETS))
def test_a_parts_limited_receiver_sees_only_what_was_shared(
    world: World, received: Received, parts_name: str
) -> None:
    """Every person-bearing page, for a receiver who was shared ``parts`` only: the status
    the parts allow, one denial for each refusal, never an identifier not shared, and the
    timeline holding exactly the records of the shared parts."""
    parts = PART_SETS[parts_name]
    _accept_parts(world, received.person, parts)
    tuan = world.users["tuan"]
    client = world.client("tuan")
    secrets = () if "identity" in parts else _identifiers(received.person)
    wrong: list[str] = []
    for c in received.cells:
        expected = (
            200
            if c.needs == ALWAYS
            else 404
            if c.needs == NEVER
            else 200
            if set(c.needs) <= set(parts)
            else 404
        )
        before = _denials(tuan.pk, c.object_id)
        response = client.post(c.url) if c.post else client.get(c.url)
        if response.status_code != expected:
            wrong.append(f"{c.route} {c.url}: got {response.status_code}, expected {expected}")
            continue
        if expected == 404 and _denials(tuan.pk, c.object_id) - before != 1:
            wrong.append(f"{c.route} {c.url}: {_denials(tuan.pk, c.object_id) - before} denials")
        html = response.content.decode(errors="replace")  # a file download is bytes
        wrong += [f"{c.route} {c.url}: shows {s!r}" for s in secrets if s and s in html]
    for page in ("cases:person_detail", "cases:case_detail"):
        target = (
            received.person.pk
            if page == "cases:person_detail"
            else (Case.objects.get(person=received.person).pk)
        )
        html = client.get(reverse(page, args=[target])).content.decode()
        for url, needs in received.timeline.items():
            if (url in html) is not (set(needs) <= set(parts)):
                wrong.append(f"{page} timeline: {url} (needs {needs}) shown={url in html}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("parts_name", list(PART_SETS))
def test_a_parts_limited_receiver_finds_the_person_only_with_identity(
    world: World, received: Received, parts_name: str
) -> None:
    """Every search kind (name, citizen ID, old ID, phone): an identifier not shared is never
    confirmed, not even by record number, and the search event names nobody."""
    parts = PART_SETS[parts_name]
    _accept_parts(world, received.person, parts)
    person = received.person
    client = world.client("tuan")
    shared = "identity" in parts
    searches = {
        "name": person.full_name,
        "citizen_id": person.citizen_id,
        "old_id_number": person.old_id_number,
        "phone": person.phone,
    }
    wrong = []
    for kind, query in searches.items():
        html = client.post(reverse("cases:person_search"), {"kind": kind, "q": query}).content
        listed = reverse("cases:person_detail", args=[person.pk]) in html.decode()
        searches_made = Event.objects.filter(action=CaseAction.SEARCH, actor=world.users["tuan"])
        event = searches_made.latest("seq")
        if listed is not shared or (str(person.pk) in event.detail["people"]) is not shared:
            wrong.append(f"{kind}: listed={listed}, event={event.detail}")
    assert wrong == [], "\n".join(wrong)

"""Every form of the app, posted with each field blank, malformed, out of range and far in the
future: never a server error, and what the user typed comes back in the form.

Regression for "Opening a case with a close date and no start date answers a bare Server Error
(500) and loses what was typed".
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actions import totp_device_create
from appointments import actions as appointment_actions
from appointments.models import Appointment
from cases import actions, notes, plans
from cases.models import (
    Case,
    CaseClosure,
    ContactNote,
    Organisation,
    OrganisationType,
    Person,
    PlanGoal,
)
from programme.models import Activity, Course, PlannedActivity, Topic, Volunteer
from referrals.models import Referral
from services.methadone.models import Dose, Prescription
from services.models import FollowUp, ServiceType, TreatmentEpisode
from tests.conftest import World, signed_in_client
from tests.facilities.support import make_facility_profile
from tests.factories import make_case
from tests.reports.plan_fixtures import make_plan

BAD_VALUES = {
    "blank": "",
    "malformed": "x<b>'\"%;--",
    "out_of_range": "-99999999999999999999",
    "far_future": "31/12/9999",
    "far_future_iso": "9999-12-31",
    "huge_year": "99999",
    "null_char": "ab\x00cd",
}
REASON = "Cấp cứu tại trạm y tế, cần xem liều methadone"


@dataclass
class FormCase:
    name: str
    who: str
    url: Callable[[World, dict[str, Any]], str]
    data: Callable[[World, dict[str, Any]], dict[str, str]]
    method: str = "post"
    # Fields whose typed value must come back (free text, numbers and dates).
    kept: tuple[str, ...] = ()
    second_factor: bool = True


_FACILITY_KEPT = (
    "address",
    "phone",
    "opening_hours",
    "opening_hours_en",
    "capacity",
    "services_other",
    "eligibility",
    "licence_number",
    "licence_date",
)


def _facility_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "commune": str(world.units["c1"].pk),
        "address": "Số 5 đường Một",
        "phone": "0214 3822 111",
        "opening_hours": "7:00–17:00",
        "opening_hours_en": "7am to 5pm",
        "capacity": "40",
        "capacity_unit": "beds",
        "services_other": "Khám sức khỏe",
        "eligibility": "Người nghiện từ 18 tuổi",
        "licence_number": "12/QĐ-UBND",
        "licence_date": "01/03/2022",
    }


def _review_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    data = {
        "reviewed_on": "01/11/2026",
        "reviewer": "Đoàn kiểm tra liên ngành",
        "overall": "does_not_meet",
        "actions": "Tuyển thêm bác sĩ",
    }
    numbers = ("1.1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3", "4.1", "4.3")
    data |= {f"item_{n}": "met" for n in (*numbers, "4.4")}
    return data | {"item_4.2": "not_met", "note_4.2": "Thiếu bác sĩ"}


def _person_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "full_name": "Giàng Thị Mỷ",
        "aliases": "Mỷ",
        "citizen_id": "010198012345",
        "old_id_number": "",
        "sex": "F",
        "birth_year": "1998",
        "birth_date": "04/03/1998",
        "ethnicity": "08",
        "phone": "0912000111",
        "residence_commune": str(world.units["c1"].pk),
        "address": "Bản Thử",
        "family_contact": "Mẹ",
    }


def _case_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    # Closed, with both dates: blanking or breaking either date must still be explained.
    return {
        "category": "post_rehab",
        "managed_record": "on",
        "status": "closed",
        "opened_on": "01/10/2026",
        "closed_on": "05/10/2026",
        "organisation": str(world.orgs["clinic_a"].pk),
        "assigned_to": str(world.users["lan"].pk),
        "notes": "Theo dõi",
    }


def _service_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "service_type": str(ServiceType.objects.get(code="counselling").pk),
        "status": "planned",
        "due_on": "01/12/2026",
        "delivered_on": "",
        "provider": str(world.orgs["clinic_a"].pk),
        "responsible": str(world.users["lan"].pk),
        "amount": "",
        "note": "Hẹn gặp",
    }


def _episode_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "modality": "community_voluntary",
        "provider": str(world.orgs["clinic_a"].pk),
        "started_on": "01/09/2026",
        "planned_end_on": "01/03/2027",
        "ended_on": "",
        "outcome": "ongoing",
    }


def _postrehab_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "officer": str(world.users["minh"].pk),
        "started_on": "01/10/2026",
        "planned_end_on": "01/10/2027",
        "ended_on": "",
        "outcome": "ongoing",
    }


def _followup_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "kind": "other",
        "due_on": "01/12/2026",
        "done_on": "",
        "responsible": str(world.users["lan"].pk),
        "note": "Gọi điện",
    }


def _vocational_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "kind": "training",
        "provider": "",
        "provider_other": "Trường nghề huyện",
        "started_on": "01/10/2026",
        "ended_on": "",
        "outcome": "ongoing",
        "no_end_reason": "",
        "employer": "",
        "income_band": "",
    }


def _reception_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "received_on": "01/11/2026",
        "place": "Cửa khẩu",
        "identification_status": "identified",
        "receiving_agency": str(world.orgs["social"].pk),
        "current_address": "Thôn 3",
        "contact": "0912000111",
    }


def _shelter_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {"shelter": str(objs["shelter"].pk), "entered_on": "02/11/2026", "left_on": ""}


def _assist_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    """A whole ASSIST interview, as the second step posts it (step 1's answers included)."""
    substances = [
        "tobacco",
        "alcohol",
        "cannabis",
        "cocaine",
        "amphetamines",
        "inhalants",
        "sedatives",
        "hallucinogens",
        "opioids",
        "other",
    ]
    answers = {f"{code}_q1": "no" for code in substances} | {"alcohol_q1": "yes"}
    answers |= {f"alcohol_q{n}": "weekly" for n in (2, 3, 4, 5)}
    answers |= {"alcohol_q6": "no_never", "alcohol_q7": "yes_recent", "q8": "no_never"}
    return {"screened_on": "20/11/2026", "step": "", **answers}


def _dsm5_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    criteria = [
        "larger_longer",
        "cut_down",
        "time_spent",
        "craving",
        "role_failure",
        "social_problems",
        "activities_given_up",
        "hazardous_use",
        "health_problems",
        "tolerance",
        "withdrawal",
    ]
    return {
        "screened_on": "20/11/2026",
        "substance": "opioids",
        "supervised": "no",
        **{criterion: "yes" for criterion in criteria},
    }


def _referral_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    # A new consent typed inline, and urgent with its reason: every field is in play.
    return {
        "to_organisation": str(world.orgs["clinic_b"].pk),
        "service_type": str(ServiceType.objects.get(code="counselling").pk),
        "parts": "identity",
        "reason": "Cần điều trị methadone",
        "consent": "new",
        "consent_method": "signed",
        "consent_given_on": "01/11/2026",
        "consent_given_by": "Mẹ",
        "urgent": "on",
        "urgent_reason": "Sắp hết thuốc",
    }


def _plan_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "number": "30/KH-UBND",
        "issuer": "UBND tỉnh Kiểm Thử",
        "title": "Kế hoạch thử",
        "unit": str(world.units["province"].pk),
        "issued_on": "15/02/2025",
        "first_year": "2025",
        "last_year": "2026",
    }


def _target_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "indicator": "TX_COVERAGE",
        "unit": str(world.units["province"].pk),
        "year": "2025",
        "comparison": "at_least",
        "value": "70",
        "kind": "share",
        "clause": "2.3",
        "note": "Được điều trị",
    }


def _record_add_url(world: World, objs: dict[str, Any], *, kind: str, case: str) -> str:
    return reverse("services:record_add", args=[objs[case].pk, kind])


def _course_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "title": "Tập huấn điều trị nghiện",
        "topic": str(Topic.objects.get(code="treatment").pk),
        "audience": "commune_staff",
        "organiser": "Sở Y tế",
        "unit": str(world.units["province"].pk),
        "place": "Hội trường tỉnh",
        "starts_on": "02/03/2026",
        "ends_on": "03/03/2026",
    }


def _volunteer_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "name": "Lò Thị Tình",
        "unit": str(world.units["c1"].pk),
        "organisation": "Hội Phụ nữ xã",
        "registered_on": "01/02/2026",
        "left_on": "",
    }


def _attendee_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "user": "",
        "volunteer": "",
        "name": "Mẹ của em A",
        "role": "family_caregiver",
        "unit": str(world.units["c1"].pk),
        "organisation": "Gia đình",
    }


def _activity_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "kind": "session",
        "held_on": "05/03/2026",
        "commune": str(world.units["c1"].pk),
        "organiser": "UBND xã Một Một",
        "male": "12",
        "female": "8",
        "age_0_17": "5",
        "age_18_24": "15",
        "age_25_34": "0",
        "age_35_44": "0",
        "age_45_plus": "0",
        "leaflets": "200",
        "posters": "3",
        "booklets": "0",
        "other_materials": "0",
        "notes": "Nhà văn hóa thôn",
    }


def _planned_data(world: World, objs: dict[str, Any]) -> dict[str, str]:
    return {
        "plan": str(objs["plan"].pk),
        "unit": str(world.units["d1"].pk),
        "kind": "forum",
        "quantity": "5",
        "starts_on": "01/01/2026",
        "ends_on": "30/06/2026",
        "clause": "II.1.1",
    }


ACTIVITY_KEPT = ("held_on", "organiser", "male", "female", "age_0_17", "leaflets", "notes")

FORMS = [
    FormCase(
        "person_create",
        "lan",
        lambda w, o: reverse("cases:person_create"),
        _person_data,
        kept=(
            "full_name",
            "aliases",
            "citizen_id",
            "old_id_number",
            "birth_year",
            "birth_date",
            "phone",
            "address",
            "family_contact",
        ),
    ),
    FormCase(
        "person_edit",
        "lan",
        lambda w, o: reverse("cases:person_edit", args=[o["person"].pk]),
        lambda w, o: {
            **_person_data(w, o),
            "citizen_id": "010191000123",
            "sex": "F",
            "birth_year": "1991",
            "birth_date": "",
        },
        kept=(
            "full_name",
            "aliases",
            "old_id_number",
            "birth_year",
            "birth_date",
            "phone",
            "address",
            "family_contact",
        ),
    ),
    FormCase(
        "case_create",
        "lan",
        lambda w, o: reverse("cases:case_create", args=[o["person"].pk]),
        _case_data,
        kept=("opened_on", "closed_on", "notes"),
    ),
    FormCase(
        "case_edit",
        "lan",
        lambda w, o: reverse("cases:case_edit", args=[o["case"].pk]),
        _case_data,
        kept=("opened_on", "closed_on", "notes"),
    ),
    FormCase(
        "search",
        "lan",
        lambda w, o: reverse("cases:person_search"),
        lambda w, o: {"kind": "name", "q": "Trần Thị Bình", "birth_year": "1991"},
        kept=("q", "birth_year"),
    ),
    FormCase(
        "case_filters",
        "lan",
        lambda w, o: reverse("cases:case_list"),
        lambda w, o: {
            "status": "open",
            "category": "addiction",
            "commune": str(w.units["c1"].pk),
            "mine": "on",
            "sort": "oldest",
        },
        method="get",
    ),
    FormCase(
        "emergency_request",
        "tuan",
        lambda w, o: reverse("cases:emergency_request"),
        lambda w, o: {"citizen_id": "010191000999", "reason": REASON},
        kept=("citizen_id", "reason"),
    ),
    FormCase(
        "emergency_review",
        "an",
        lambda w, o: reverse("cases:emergency_review", args=[o["grant"].pk]),
        lambda w, o: {"justified": "no", "confirm": "", "note": "Không rõ"},
        kept=("note",),
    ),
    FormCase(
        "audit_filters",
        "an",
        lambda w, o: reverse("audit:event_list"),
        lambda w, o: {
            "user": "lan",
            "person": str(o["person"].pk)[:8],
            "organisation": str(w.orgs["clinic_a"].pk),
            "action": "reads",
            "since": "01/01/2026",
            "until": "31/12/2026",
        },
        method="get",
        kept=("user", "person", "since", "until"),
    ),
    FormCase(
        "staff_create",
        "quan",
        lambda w, o: reverse("cases:staff_create"),
        lambda w, o: {
            "username": "thanh",
            "full_name": "Nguyễn Văn Thành",
            "email": "thanh@example.vn",
            "organisation": str(w.orgs["clinic_a"].pk),
            "role": "caseworker",
            "allow_second_role": "on",
            "second_role": "auditor",
            "scope_unit": str(w.units["d1"].pk),
        },
        kept=("username", "full_name", "email"),
    ),
    *(
        FormCase(
            f"services_{kind}",
            "lan",
            partial(_record_add_url, kind=kind, case=case),
            data,
            kept=kept,
        )
        for kind, case, data, kept in (
            ("service", "case", _service_data, ("due_on", "note")),
            ("episode", "case", _episode_data, ("started_on", "planned_end_on")),
            ("post-rehab", "case", _postrehab_data, ("started_on", "planned_end_on")),
            ("follow-up", "case", _followup_data, ("due_on", "note")),
            ("vocational", "case", _vocational_data, ("provider_other", "started_on")),
            (
                "reception",
                "victim_case",
                _reception_data,
                ("received_on", "place", "current_address", "contact"),
            ),
            ("shelter", "victim_case", _shelter_data, ("entered_on",)),
            ("screening-dsm5", "case", _dsm5_data, ("screened_on",)),
            ("screening-assist", "case", _assist_data, ("screened_on",)),
        )
    ),
    FormCase(
        "services_stage",
        "lan",
        lambda w, o: reverse("services:stage_add", args=[o["episode"].pk]),
        lambda w, o: {"stage": "1", "started_on": "01/09/2026", "ended_on": "05/09/2026"},
        kept=("started_on", "ended_on"),
    ),
    FormCase(
        "services_followup_record",
        "lan",
        lambda w, o: reverse("services:followup_record", args=[o["followup"].pk]),
        lambda w, o: {"done_on": "01/11/2026", "note": "Gặp tại nhà", "version": "1"},
        kept=("done_on", "note"),
    ),
    FormCase(
        "methadone_prescription",
        "lan",
        lambda w, o: reverse("methadone:prescription_add", args=[o["methadone"].pk]),
        lambda w, o: {
            "starts_on": "20/11/2026",
            "dose_mg": "45",
            "phase": "stabilisation",
            "take_home_days": "0",
            "prescriber": "",
            "reason": "Còn hội chứng cai",
            "override_reason": "Hội chẩn",
        },
        kept=("starts_on", "dose_mg", "take_home_days", "reason", "override_reason"),
    ),
    FormCase(
        "methadone_dose",
        "lan",
        lambda w, o: reverse("methadone:dose_record", args=[o["methadone"].pk]),
        lambda w, o: {"kind": "1", "dose_mg": "40", "day": "", "q": ""},
        kept=("dose_mg",),
    ),
    FormCase(
        "methadone_one_day_dose",
        "lan",
        lambda w, o: reverse("methadone:dose_override", args=[o["methadone"].pk]),
        lambda w, o: {"day": "02/09/2026", "dose_mg": "15", "reason": "Khởi liều lại"},
        kept=("day", "dose_mg", "reason"),
    ),
    FormCase(
        "methadone_correction",
        "lan",
        lambda w, o: reverse("methadone:dose_correct", args=[o["dose"].pk]),
        lambda w, o: {"kind": "1", "dose_mg": "35", "reason": "Ghi nhầm liều"},
        kept=("dose_mg", "reason"),
    ),
    FormCase(
        "otp_verify",
        "quan",
        lambda w, o: reverse("accounts:otp_verify"),
        lambda w, o: {"token": "123456"},
        second_factor=False,
    ),
    FormCase(
        "otp_enrol",
        "hoa",
        lambda w, o: reverse("accounts:otp_enrol"),
        lambda w, o: {"token": "123456"},
        second_factor=False,
    ),
    FormCase(
        "referral_create",
        "lan",
        lambda w, o: reverse("referrals:referral_create", args=[o["case"].pk]),
        _referral_data,
        kept=("reason", "consent_given_on", "consent_given_by", "urgent_reason"),
    ),
    FormCase(
        "referral_edit",
        "lan",
        lambda w, o: reverse("referrals:referral_edit", args=[o["referral"].pk]),
        lambda w, o: {**_referral_data(w, o), "version": "1"},
        kept=("reason", "consent_given_on", "consent_given_by", "urgent_reason"),
    ),
    FormCase(
        "referral_act",
        "lan",
        lambda w, o: reverse("referrals:referral_act", args=[o["referral"].pk]),
        lambda w, o: {"action": "submit", "comment": "Nhờ duyệt gấp", "outcome": ""},
    ),
    FormCase(
        "plan_create",
        "hoa",
        lambda w, o: reverse("reports:plan_add"),
        _plan_data,
        kept=("number", "issuer", "title", "issued_on", "first_year", "last_year"),
    ),
    FormCase(
        "plan_edit",
        "hoa",
        lambda w, o: reverse("reports:plan_edit", args=[o["plan"].pk]),
        lambda w, o: {**_plan_data(w, o), "version": "1"},
        kept=("number", "issuer", "title", "issued_on", "first_year", "last_year"),
    ),
    FormCase(
        "target_add",
        "hoa",
        lambda w, o: reverse("reports:target_add", args=[o["plan"].pk]),
        _target_data,
        kept=("value", "clause", "note"),
    ),
    FormCase(
        "referral_figures",
        "hoa",
        lambda w, o: reverse("referrals:figures"),
        lambda w, o: {"since": "01/01/2026", "until": "31/12/2026"},
        method="get",
        kept=("since", "until"),
    ),
    FormCase(
        "figures_custom_period",
        "hoa",
        lambda w, o: reverse("reports:dashboard"),
        lambda w, o: {
            "period": "custom",
            "start": "01/01/2026",
            "end": "30/06/2026",
            "breakdown": "sex",
            "unit": "981",
        },
        method="get",
        kept=("start", "end"),
    ),
    FormCase(
        "figures_quarter",
        "minh",
        lambda w, o: reverse("reports:dashboard"),
        lambda w, o: {"period": "quarter", "year": "2026", "quarter": "2"},
        method="get",
        kept=("year",),
    ),
    FormCase(
        "figures_report",
        "hoa",
        lambda w, o: reverse("reports:report"),
        lambda w, o: {
            "unit": str(w.units["province"].pk),
            "format": "csv",
            "period_kind": "custom",
            "year": "2026",
            "half": "1",
            "start": "01/01/2026",
            "end": "30/06/2026",
        },
        method="get",
        kept=("year", "start", "end"),
    ),
    # The facility registry (D49): a profile added and changed, a review recorded.
    FormCase(
        "facility_add",
        "hoa",
        lambda w, o: reverse("facilities:facility_add"),
        lambda w, o: {**_facility_data(w, o), "organisation": str(w.orgs["clinic_b"].pk)},
        kept=_FACILITY_KEPT,
    ),
    FormCase(
        "facility_edit",
        "quan",
        lambda w, o: reverse("facilities:facility_edit", args=[o["facility"].pk]),
        lambda w, o: {**_facility_data(w, o), "version": "1"},
        kept=_FACILITY_KEPT,
    ),
    FormCase(
        "facility_review",
        "hoa",
        lambda w, o: reverse("facilities:review_add", args=[o["facility"].pk]),
        _review_data,
        kept=("reviewed_on", "reviewer", "actions", "note_4.2"),
    ),
    # Casework (D42): a contact note (new, changed by its author, an addendum), a family link.
    *[
        FormCase(
            f"contact_note_{name}",
            "lan",
            url,
            lambda w, o: {
                "kind": "phone",
                "contacted_on": "01/11/2026",
                "contacted_time": "14:05",
                "duration_minutes": "20",
                "present": "Mẹ của chị Bình",
                "text": "Gọi điện hỏi thăm",
            },
            kept=("contacted_on", "duration_minutes", "present", "text"),
        )
        for name, url in (
            ("add", lambda w, o: reverse("cases:note_add", args=[o["case"].pk])),
            ("edit", lambda w, o: reverse("cases:note_edit", args=[o["note"].pk])),
            ("addendum", lambda w, o: reverse("cases:note_addendum", args=[o["note"].pk])),
        )
    ],
    # Training and communication (D48).
    FormCase(
        "course_add",
        "hoa",
        lambda w, o: reverse("programme:course_add"),
        _course_data,
        kept=("title", "organiser", "place", "starts_on", "ends_on"),
    ),
    FormCase(
        "course_edit",
        "hoa",
        lambda w, o: reverse("programme:course_edit", args=[o["course"].pk]),
        lambda w, o: {**_course_data(w, o), "version": "1"},
        kept=("title", "organiser", "place", "starts_on", "ends_on"),
    ),
    FormCase(
        "attendee_add",
        "hoa",
        lambda w, o: reverse("programme:attendee_add", args=[o["course"].pk]),
        _attendee_data,
        kept=("name", "organisation"),
    ),
    FormCase(
        "volunteer_add",
        "hoa",
        lambda w, o: reverse("programme:volunteer_add"),
        _volunteer_data,
        kept=("name", "organisation", "registered_on", "left_on"),
    ),
    FormCase(
        "volunteer_edit",
        "hoa",
        lambda w, o: reverse("programme:volunteer_edit", args=[o["volunteer"].pk]),
        lambda w, o: {**_volunteer_data(w, o), "version": "1"},
        kept=("name", "organisation", "registered_on", "left_on"),
    ),
    FormCase(
        "activity_add",
        "hoa",
        lambda w, o: reverse("programme:activity_add"),
        _activity_data,
        kept=ACTIVITY_KEPT,
    ),
    FormCase(
        "activity_edit",
        "hoa",
        lambda w, o: reverse("programme:activity_edit", args=[o["activity"].pk]),
        lambda w, o: {**_activity_data(w, o), "version": "1"},
        kept=ACTIVITY_KEPT,
    ),
    FormCase(
        "planned_add",
        "hoa",
        lambda w, o: reverse("programme:planned_add"),
        _planned_data,
        kept=("quantity", "starts_on", "ends_on", "clause"),
    ),
    FormCase(
        "planned_edit",
        "hoa",
        lambda w, o: reverse("programme:planned_edit", args=[o["planned"].pk]),
        lambda w, o: {**_planned_data(w, o), "version": "1"},
        kept=("quantity", "starts_on", "ends_on", "clause"),
    ),
    # The case plan and closing (D45).
    FormCase(
        "goal_add",
        "lan",
        lambda w, o: reverse("cases:goal_add", args=[o["case"].pk]),
        lambda w, o: {
            "need": "Thiếu việc làm",
            "goal": "Có việc làm ổn định",
            "actions": "Học nghề mộc",
            "responsible": str(w.users["lan"].pk),
            "due_on": "20/12/2026",
            "review_on": "10/12/2026",
        },
        kept=("need", "goal", "actions", "due_on", "review_on"),
    ),
    FormCase(
        "goal_review",
        "lan",
        lambda w, o: reverse("cases:goal_review", args=[o["goal"].pk]),
        lambda w, o: {
            "status": "open",
            "review_note": "Đã đi học hai buổi",
            "reviewed_on": "01/12/2026",
            "review_on": "15/12/2026",
            "due_on": "20/12/2026",
        },
        kept=("review_note", "reviewed_on", "review_on", "due_on"),
    ),
    FormCase(
        "case_close",
        "lan",
        lambda w, o: reverse("cases:case_close", args=[o["case"].pk]),
        lambda w, o: {"reason": "goals_met", "closed_on": "01/12/2026", "summary": "Đã xong"},
        kept=("closed_on", "summary"),
    ),
    # A person's move to another commune (D50).
    FormCase(
        "move_record",
        "minh",
        lambda w, o: reverse("cases:move_record", args=[o["person"].pk]),
        lambda w, o: {
            "to_commune": str(w.units["c2"].pk),
            "moved_on": "01/12/2026",
            "source": "police",
            "confirm": "on",
        },
        kept=("moved_on",),
    ),
    FormCase(
        "case_reopen",
        "lan",
        lambda w, o: reverse("cases:case_reopen", args=[o["case"].pk]),
        lambda w, o: {"summary": "Tái sử dụng"},
        kept=("summary",),
    ),
    # Appointments (D46): new and changed (the change form adds the status).
    *[
        FormCase(
            f"appointment_{name}",
            "lan",
            url,
            lambda w, o: {
                "kind": "methadone_review",
                "starts_on": "01/12/2026",
                "starts_at": "09:30",
                "duration_minutes": "30",
                "place": "Trạm y tế xã",
                "staff": str(w.users["lan"].pk),
            },
            kept=("starts_on", "duration_minutes", "place"),
        )
        for name, url in (
            ("add", lambda w, o: reverse("appointments:appointment_add", args=[o["case"].pk])),
            (
                "edit",
                lambda w, o: reverse("appointments:appointment_edit", args=[o["appointment"].pk]),
            ),
        )
    ],
    FormCase(
        "family_add",
        "lan",
        lambda w, o: reverse("cases:family_add", args=[o["person"].pk]),
        lambda w, o: {
            "relation": "parent",
            "contact": "on",
            "citizen_id": "",
            "full_name": "Phạm Thị Hạnh",
            "sex": "F",
            "birth_year": "1962",
            "phone": "0977111222",
        },
        kept=("citizen_id", "full_name", "birth_year", "phone"),
    ),
]


@pytest.fixture
def objs(world: World, lan_person: Person) -> dict[str, Any]:
    grant = actions.emergency_access_grant(
        actor=world.users["tuan"], person=lan_person, reason=REASON
    )
    case = Case.objects.get(person=lan_person)
    victim_case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        assigned_to=world.users["lan"],
    )
    shelter = Organisation.objects.create(
        name="Nhà Nhân ái Thử",
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["province"],
    )
    episode = TreatmentEpisode.objects.create(
        case=case,
        modality="facility_voluntary",
        provider=world.orgs["clinic_a"],
        started_on=datetime.date(2026, 9, 1),
        recorded_by=world.users["lan"],
    )
    methadone = TreatmentEpisode.objects.create(
        case=case,
        modality="methadone",
        provider=world.orgs["clinic_a"],
        started_on=datetime.date(2026, 9, 1),
        recorded_by=world.users["lan"],
    )
    Prescription.objects.create(
        case=case,
        episode=methadone,
        starts_on=datetime.date(2026, 9, 1),
        dose_mg=30,
        phase="induction",
        prescriber=world.users["lan"],
        recorded_by=world.users["lan"],
    )
    dose = Dose.objects.create(
        episode=methadone,
        given_on=datetime.date(2026, 9, 2),
        kind=1,
        dose_mg=30,
        recorded_by=world.users["lan"],
    )
    referral = Referral.objects.create(
        case=case,
        from_organisation=world.orgs["clinic_a"],
        to_organisation=world.orgs["clinic_b"],
        service_type=ServiceType.objects.get(code="counselling"),
        reason="Tư vấn",
        recorded_by=world.users["lan"],
        parts=["identity"],
    )
    followup = FollowUp.objects.create(
        case=case, kind="other", due_on=datetime.date(2026, 11, 1), recorded_by=world.users["lan"]
    )
    note = notes.contactnote_add(
        actor=world.users["lan"],
        note=ContactNote(case=case, contacted_on=datetime.date(2026, 11, 1), text="Ghi chép"),
    )
    goal = plans.plangoal_add(
        actor=world.users["lan"],
        goal=PlanGoal(
            case=case,
            need="Nợ",
            goal="Trả nợ",
            actions="Tư vấn",
            responsible=world.users["lan"],
            due_on=datetime.date(2026, 12, 20),
        ),
    )
    closure = CaseClosure.objects.create(
        case=victim_case,
        kind="close",
        reason="goals_met",
        closed_on=datetime.date(2026, 11, 1),
        summary="Xong",
        status="pending",
        requested_by=world.users["lan"],
    )
    appointment = appointment_actions.appointment_add(
        actor=world.users["lan"],
        appointment=Appointment(
            case=case, starts_on=datetime.date(2026, 12, 1), place="Trạm", staff=world.users["lan"]
        ),
    )
    return {
        "goal": goal,
        "closure": closure,
        "appointment": appointment,
        "note": note,
        "person": lan_person,
        "case": case,
        "grant": grant,
        "victim_case": victim_case,
        "shelter": shelter,
        "episode": episode,
        "referral": referral,
        "methadone": methadone,
        "dose": dose,
        "followup": followup,
        **_programme(world, plan := make_plan(world.units["province"])),
        "plan": plan,
        "facility": make_facility_profile(world.orgs["clinic_a"]),
    }


def _programme(world: World, plan: Any) -> dict[str, Any]:
    """A course, a volunteer, an activity and a planned activity of hoa's province (D48)."""
    day = datetime.date(2026, 3, 2)
    return {
        "course": Course.objects.create(
            title="Tập huấn",
            topic=Topic.objects.get(code="treatment"),
            audience="commune_staff",
            organiser="Sở",
            unit=world.units["province"],
            starts_on=day,
            ends_on=day,
        ),
        "volunteer": Volunteer.objects.create(
            name="Tình Nguyện", unit=world.units["c1"], registered_on=day
        ),
        "activity": Activity.objects.create(
            kind="session", held_on=day, commune=world.units["c1"], organiser="UBND", male=3
        ),
        "planned": PlannedActivity.objects.create(
            plan=plan,
            unit=world.units["d1"],
            kind="session",
            quantity=2,
            starts_on=day,
            ends_on=day,
        ),
    }


def _client(world: World, form: FormCase) -> Client:
    user = world.users[form.who]
    if form.name == "otp_verify":
        totp_device_create(user=user, confirmed=True)
    client = signed_in_client(user, second_factor=form.second_factor)
    client.raise_request_exception = False
    return client


def _kept(value: str, page: str) -> bool:
    if not value.strip() or "\x00" in value:
        return True  # nothing to keep; null characters are refused by name, not echoed
    return html.escape(value) in page or html.escape(value, quote=False) in page


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_no_form_answers_a_server_error(world: World, objs: dict[str, Any], form: FormCase) -> None:
    """Each field of each form, with each bad value: a page with the error, never a 500."""
    client = _client(world, form)
    url = form.url(world, objs)
    problems = []
    # The form must be reached at all: a refused page would pass the checks below vacuously.
    rendered = 0
    for field in form.data(world, objs):
        for label, value in BAD_VALUES.items():
            data = {**form.data(world, objs), field: value}
            send = client.get if form.method == "get" else client.post
            response = send(url, data)
            where = f"{form.name}.{field}={label}"
            rendered += response.status_code == 200
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            elif (
                response.status_code == 200
                and field in form.kept
                and not _kept(value, response.content.decode())
            ):
                problems.append(f"{where}: the typed value was lost")
    assert problems == [], "\n".join(problems)
    assert rendered, f"{form.name}: no bad input re-rendered the form"


def test_case_with_close_date_and_no_start_date_is_explained(
    world: World, lan_person: Person
) -> None:
    """The crash of the issue: closed, a close date, no start date."""
    client = world.client("lan")
    client.raise_request_exception = False
    data = {**_case_data(world, {}), "opened_on": ""}
    response = client.post(reverse("cases:case_create", args=[lan_person.pk]), data)
    assert response.status_code == 200
    assert "opened_on" in response.context["form"].errors
    assert 'value="05/10/2026"' in response.content.decode()
    assert "Theo dõi</textarea>" in response.content.decode()
    assert not Case.objects.filter(category="post_rehab").exists()


@pytest.mark.parametrize("form", [f for f in FORMS if f.second_factor], ids=lambda f: f.name)
def test_no_form_shows_django_untranslated_blank_choice(
    world: World, objs: dict[str, Any], form: FormCase
) -> None:
    """Blank choices read "— Chọn —" (or "Tất cả" in filters), never Django's own."""
    page = _client(world, form).get(form.url(world, objs)).content.decode()
    assert "---------" not in page
    assert "Select an option" not in page


NUL = "ab\x00cd"


@dataclass
class Direct:
    """A page that reads a parameter itself (no form class): a button, a filter, a link."""

    name: str
    who: str | None
    method: str
    url: Callable[[World, dict[str, Any]], str]
    data: dict[str, str]


DIRECT = [
    Direct("staff_unlock_ask", "quan", "post", lambda w, o: reverse("cases:staff_unlock"),
           {"username": NUL}),
    Direct("staff_unlock_confirm", "quan", "post", lambda w, o: reverse("cases:staff_unlock"),
           {"username": NUL, "confirm": "yes"}),
    Direct("staff_invite", "quan", "post", lambda w, o: reverse("cases:staff_invite"),
           {"username": NUL}),
    Direct("staff_list", "quan", "get", lambda w, o: reverse("cases:staff_list"), {"page": NUL}),
    Direct("calendar", "lan", "get", lambda w, o: reverse("appointments:calendar"),
           {"day": NUL, "view": NUL, "who": NUL}),
    Direct("role_requests", "hoa", "get", lambda w, o: reverse("cases:role_request_list"),
           {"page": NUL}),
    Direct("login", None, "post", lambda w, o: reverse("login"),
           {"username": NUL, "password": NUL, "next": NUL}),
    Direct("set_language", None, "post", lambda w, o: reverse("set_language"),
           {"language": NUL, "next": NUL}),
    Direct("methadone_today", "lan", "get", lambda w, o: reverse("methadone:today"), {"q": NUL}),
    Direct("methadone_clinic", "lan", "get", lambda w, o: reverse("methadone:clinic_figures"),
           {"clinic": NUL}),
    Direct("referral_queue", "lan", "get", lambda w, o: reverse("referrals:queue"),
           {"tab": NUL, "after": NUL}),
    Direct("case_list_pages", "lan", "get", lambda w, o: reverse("cases:case_list"),
           {"page": NUL, "after": NUL, "q": NUL}),
    Direct("my_work", "lan", "get", lambda w, o: reverse("cases:my_work"), {"page": NUL}),
    Direct("emergency_reviews", "an", "get",
           lambda w, o: reverse("cases:emergency_review_list"), {"page": NUL}),
    Direct("role_decide", "hoa", "post",
           lambda w, o: reverse("cases:role_request_decide", args=[o["person"].pk]),
           {"decision": NUL}),
    Direct("closure_decide", "hoa", "post",
           lambda w, o: reverse("cases:closure_decide", args=[o["closure"].pk]),
           {"decision": NUL, "reason": NUL}),
    Direct("closure_queue", "hoa", "get", lambda w, o: reverse("cases:closure_queue"),
           {"page": NUL}),
    Direct("audit_pages", "an", "get", lambda w, o: reverse("audit:event_list"),
           {"page": NUL, "user": NUL}),
    Direct("notifications", "lan", "get", lambda w, o: reverse("notifications:list"),
           {"page": NUL}),
    Direct("figures", "hoa", "get", lambda w, o: reverse("reports:dashboard"),
           {"unit": NUL, "period": NUL, "year": NUL, "breakdown": NUL}),
    Direct("figures_indicator", "hoa", "get", lambda w, o: reverse("reports:indicator"),
           {"code": NUL, "unit": NUL, "start": NUL}),
    Direct("figures_people", "minh", "get", lambda w, o: reverse("reports:people"),
           {"indicator": NUL, "unit": NUL, "row": NUL, "key": NUL, "page": NUL}),
]  # fmt: skip


@pytest.mark.parametrize("page", DIRECT, ids=lambda d: d.name)
def test_a_null_character_in_any_parameter_is_refused_not_a_server_error(
    world: World, objs: dict[str, Any], page: Direct
) -> None:
    """ASVS 1.3.x, 2.2.1: PostgreSQL refuses text with a NUL byte; every parameter a page
    reads, in a form or on its own, refuses it first, so the page answers, never a 500
    (regression: a NUL in `username` on /staff/unlock/ and /staff/invite/ answered 500)."""
    client = Client() if page.who is None else signed_in_client(world.users[page.who])
    client.raise_request_exception = False
    send = client.get if page.method == "get" else client.post
    response = send(page.url(world, objs), page.data)
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize("url", ["cases:staff_unlock", "cases:staff_invite"])
def test_a_null_character_in_a_staff_username_is_explained(world: World, url: str) -> None:
    """ASVS 2.2.1: the administrator is told the name is not valid; nothing is unlocked."""
    client = world.client("quan")
    client.raise_request_exception = False
    response = client.post(reverse(url), {"username": NUL, "confirm": "yes"}, follow=True)
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Tên đăng nhập không hợp lệ" in text

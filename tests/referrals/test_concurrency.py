"""Two answers to the same referral at the same moment leave exactly one (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases.choices import Role
from cases.models import CaseUserObjectPermission, Person, StaffProfile
from cases.roles import staff_profile_save
from referrals import actions
from referrals.models import Referral, ReferralStep, State
from tests.conftest import World
from tests.factories import make_user

from .support import case_of, make_consent, make_referral


@pytest.mark.parametrize("second", ["accept", "decline"])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_answers_leave_exactly_one(
    world: World, lan_person: Person, second: str
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
    case = case_of(lan_person)
    referral = make_referral(world, case, state=State.SENT, consent=make_consent(world, case))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(user_name: str, action: str) -> None:
        user = vy if user_name == "vy" else world.users[user_name]
        try:
            start.wait()
            actions.referral_act(
                actor=user, referral_id=referral.pk, action=action, comment="Không đủ chỗ"
            )
            outcomes.append(action)
        except ValidationError:
            outcomes.append("refused")
        except BaseException as exc:  # reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=answer, args=("tuan", "accept")),
        threading.Thread(target=answer, args=("vy", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) in (sorted(["accept", "refused"]), sorted([second, "refused"]))
    answers = ReferralStep.objects.filter(referral=referral, action__in=("accept", "decline"))
    assert answers.count() == 1
    final = Referral.objects.get(pk=referral.pk)
    assert final.state == (State.ACCEPTED if answers.get().action == "accept" else State.DECLINED)
    assert final.version == 2  # one save after the one that created it
    grants = CaseUserObjectPermission.objects.filter(content_object=case)
    assert grants.count() == (1 if final.state == State.ACCEPTED else 0)

"""The load test's pieces work against a live server (so `make bench-load` cannot rot unseen).

A small generated dataset with its years of records (bench.scale_data + bench.scale_records),
the sessions' accounts and plans (bench.load.prepare), then one session of each role signs in
through the real password and authenticator-code pages (bench.load_client) and makes each
request of its role's mix once; each must answer as expected and write exactly the audit
events ``load_client.KINDS`` says, since the load test compares their sum with the events
the run wrote. Not a timing test.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import pytest
from django_otp.oath import totp

from accounts.models import TOTPDevice
from audit.models import Event
from bench import load, load_client, scale_data, scale_records
from cases.models import Case
from referrals.models import Referral, State
from services.methadone.models import Dose
from services.models import ServiceRecord, TreatmentEpisode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def plans() -> list[load_client.Plan]:
    world = scale_data.ensure_world(10)
    mix = scale_records.RecordMix(methadone_share=1.0, referral_share=1.0)
    scale_data.grow(world, to=400, seed=10, workers=1, records=mix)
    return load.prepare(world, sessions=len(load_client.ROLES))


def test_generated_records_cover_every_kind(plans: list[load_client.Plan]) -> None:
    """The three years of records exist with the shapes the screens read."""
    assert Case.objects.count() > 400
    assert TreatmentEpisode.objects.filter(modality="methadone", ended_on__isnull=True).exists()
    assert TreatmentEpisode.objects.exclude(modality="methadone").exists()
    assert Dose.objects.exists()
    assert ServiceRecord.objects.filter(status="delivered", amount__isnull=False).exists()
    assert Referral.objects.filter(state=State.SENT).exists()


def test_each_role_signs_in_and_each_kind_of_request_works(
    live_server: Any, plans: list[load_client.Plan]
) -> None:
    assert sorted(p.role for p in plans) == sorted(load_client.ROLES)
    loop = asyncio.new_event_loop()
    written: dict[str, int] = {}
    results = load_client.Results()
    try:
        for plan in plans:
            client = httpx.AsyncClient(base_url=live_server.url, timeout=60)
            session = load_client.Session(client, plan, results, seed=1)
            before = Event.objects.count()
            assert loop.run_until_complete(session.sign_in()), results.errors
            written["login + second_factor"] = Event.objects.count() - before
            for kind, _weight in load_client.MIXES[plan.role]:
                if not session.available(kind):
                    continue
                before = Event.objects.count()
                loop.run_until_complete(session.do(kind))
                assert not results.errors, results.errors
                written[kind] = Event.objects.count() - before
            loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    assert_a_short_run_works(live_server.url, plans)
    meant = {kind: load_client.KINDS[kind].events for kind in written if kind in load_client.KINDS}
    meant["login + second_factor"] = sum(load_client.KINDS[k].events for k in load_client.SIGN_IN)
    assert written == meant
    assert set(written) | set(load_client.SIGN_IN) == {*load_client.KINDS, "login + second_factor"}


def assert_a_short_run_works(url: str, plans: list[load_client.Plan]) -> None:
    """The whole run (sign-in gate, sessions at once, marks) with two requests a session."""
    TOTPDevice.objects.update(last_t=-1)  # the same accounts sign in again, same 30 s step
    for plan in plans:  # the dose and the referral the first pass used are done
        plan.episodes, plan.referral_ids = plan.episodes[:-1], plan.referral_ids[:-1]
    marks: list[str] = []
    before = Event.objects.count()
    results = asyncio.run(
        load_client.run(url, plans, duration=30, budget=2, marks=marks.append, sign_in_at_once=2)
    )
    assert not results.errors, results.errors
    assert marks == ["work", "done"]
    assert sum(len(t) for t in results.timings.values()) == len(plans) * 4  # 2 sign-in, 2 work
    assert Event.objects.count() - before == results.expected_events


@pytest.mark.django_db(transaction=False)
def test_the_client_computes_the_codes_an_authenticator_app_shows() -> None:
    secret = load.totp_secret("load_caseworker_1")
    now = time.time()
    assert load_client.totp_code(secret, at=now) == f"{totp(base64.b32decode(secret), t0=0):06d}"


@pytest.mark.django_db(transaction=False)
def test_the_report_table_gives_percentiles_and_errors_per_kind() -> None:
    results = load_client.Results(started=0.0, ended=10.0)
    for ms in range(1, 101):
        results.add("person_page", float(ms))
    results.errors.append(load_client.Error("dose_record", "nurse", 409, "refused"))
    table = results.table()
    assert "| person page | 100 | 10.0 | 50 | 95 | 99 | 100 | 0 |" in table
    assert "| methadone: record a dose | 0 | 0 | — | — | — | — | 1 |" in table
    assert results.expected_events == 100

"""The Prometheus scrape page, /metrics (issue 31, decision D47).

A scrape after requests about people holds no name, citizen ID, phone, person id, account
name or path with an id in any label or value; only a scrape with the bearer token is
answered, and a refused one is counted and logged.

ASVS 14.2.1 (personal data not in places that are not meant to hold it, here metric
labels), 8.2.1 (a function reached only by the caller it is meant for).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from audit import actions as audit_actions
from cases.models import Person
from core import health
from tests.accounts.support import password_login
from tests.conftest import World
from tests.core.test_health import _work

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-test-token-8f2c1e"  # noqa: S105  # nosec B105: a test's own token
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LABELS = {"view", "method", "status", "action", "le"}
# prometheus_client's own process figures: the interpreter's version, the GC generation.
LABELS |= {"implementation", "major", "minor", "patchlevel", "version", "generation"}


def _scrape(token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Client().get("/metrics", headers=headers)


def _labels(text: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@override_settings(METRICS_TOKEN=TOKEN)
def test_a_scrape_after_requests_about_people_holds_no_personal_data(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    lan = world.client("lan")
    denied = _value("hoa_nhap_audit_events_total", action="denied")
    assert lan.get(reverse("cases:person_detail", args=[lan_person.id])).status_code == 200
    assert lan.get(reverse("cases:person_search"), {"q": "Trần Thị Bình"}).status_code == 200
    # The outsider's try is refused and recorded: one more denial in the metrics.
    outsider = world.client("lan")
    assert outsider.get(reverse("cases:person_detail", args=[tuan_person.id])).status_code == 404

    response = _scrape()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    labels = _labels(text)
    assert {key for sample in labels for key in sample} <= LABELS
    views = {sample["view"] for sample in labels if "view" in sample}
    assert {"cases:person_detail", "cases:person_search"} <= views
    assert not any("/" in view for view in views), views  # route names, never paths
    for person in (lan_person, tuan_person):
        for secret in (str(person.id), person.id.hex):
            assert secret not in text
    for secret in (
        "Trần Thị Bình", "Bình", "010191000123", "0987654321", "Lê Văn Cường", "014085000456",
        "/people/",
    ):  # fmt: skip
        assert secret not in text, secret
    values = {value for sample in labels for value in sample.values()}
    assert not values & set(world.users), "an account name is a label value"
    assert _value("hoa_nhap_audit_events_total", action="denied") == denied + 1
    assert _value("hoa_nhap_audit_write_duration_seconds_count") > 0


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN.upper()])
def test_a_scrape_without_the_token_is_refused_counted_and_logged(
    token: str | None, caplog: Any
) -> None:
    refused = _value("hoa_nhap_metrics_refused_total")
    with override_settings(METRICS_TOKEN=TOKEN):
        response = _scrape(token)
    assert response.status_code == 404
    assert b"hoa_nhap" not in response.content
    assert _value("hoa_nhap_metrics_refused_total") == refused + 1
    assert "metrics scrape refused" in caplog.text


@pytest.mark.django_db
def test_without_a_token_configured_the_page_is_off() -> None:
    with override_settings(METRICS_TOKEN=""):
        assert _scrape("").status_code == 404
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_refused_sign_ins_and_the_lockout_are_counted(world: World) -> None:
    failures = _value("hoa_nhap_login_failures_total")
    lockouts = _value("hoa_nhap_lockouts_total")
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        password_login(client, "lan", f"wrong-password-{attempt}")
    assert _value("hoa_nhap_login_failures_total") == failures + settings.AXES_FAILURE_LIMIT
    assert _value("hoa_nhap_lockouts_total") == lockouts + 1


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN, TASKS=DATABASE_TASKS)
def test_the_task_queue_depth_and_age_are_read_at_each_scrape() -> None:
    def gauges() -> dict[str, float]:
        families = text_string_to_metric_families(_scrape().content.decode())
        return {s.name: s.value for f in families for s in f.samples if "tasks" in s.name}

    assert gauges()["hoa_nhap_tasks_ready"] == 0
    health.heartbeat.enqueue()
    after = gauges()
    assert after["hoa_nhap_tasks_ready"] == 1
    assert after["hoa_nhap_tasks_oldest_ready_age_seconds"] >= 0


@override_settings(METRICS_TOKEN=TOKEN)
def test_every_metric_the_sample_alerts_use_is_exposed(world: World) -> None:
    """deploy/prometheus/hoa-nhap-alerts.yml names only metrics a scrape holds."""
    rules = yaml.safe_load((ROOT / "deploy/prometheus/hoa-nhap-alerts.yml").read_text())
    exprs = " ".join(rule["expr"] for group in rules["groups"] for rule in group["rules"])
    used = set(re.findall(r"\bhoa_nhap_\w+", exprs))
    assert {"hoa_nhap_audit_seal_age_seconds", "hoa_nhap_worker_heartbeat_age_seconds"} <= used
    audit_actions.seal_create(actor=None)
    with override_settings(TASKS=DATABASE_TASKS):
        call_command("worker_heartbeat")
        _work()
    password_login(Client(), "lan", "wrong-password")  # a counter appears once it moved
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_login(Client(), "mai", "wrong-password")
    world.client("lan").get(reverse("cases:person_detail", args=[uuid.uuid4()]))
    families = text_string_to_metric_families(_scrape().content.decode())
    exposed = {sample.name for family in families for sample in family.samples}
    assert used <= exposed, used - exposed

"""Prometheus metrics (``/metrics``, decision D47), with no personal data in any label.

Every label comes from a closed set: a route's name (``cases:person_detail``, never the
path with its ids), the HTTP method, the status class, an audit action declared by an app.
Nothing about a person, an account or an address is ever a label or a value.

Counters and histograms live in each process; under gunicorn with several workers set
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode) so a scrape adds them
up. The queue figures and the seal's age are read from the database at each scrape.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger("hoa_nhap.metrics")

REQUEST_LATENCY = Histogram(
    "hoa_nhap_http_request_duration_seconds",
    "Time to answer a request, by route name, method and status class.",
    ["view", "method", "status"],
)
AUDIT_WRITE_LATENCY = Histogram(
    "hoa_nhap_audit_write_duration_seconds",
    "Time to append one audit event (audit.actions.record; never retried).",
)
AUDIT_EVENTS = Counter(
    "hoa_nhap_audit_events",
    "Audit events appended, by declared action (denied, locked_out, login_failed, ...).",
    ["action"],
)
LOGIN_FAILURES = Counter(
    "hoa_nhap_login_failures", "Refused sign-ins (wrong password or second-factor code)."
)
LOCKOUTS = Counter("hoa_nhap_lockouts", "Accounts locked after too many refused sign-ins.")
METRICS_REFUSED = Counter(
    "hoa_nhap_metrics_refused", "Scrapes of /metrics refused for a missing or wrong token."
)

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Figures read at each scrape, registered by apps above core (the audit seal's age).
_SCRAPE_GAUGES: dict[str, tuple[str, Callable[[], float | None]]] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], float | None]) -> None:
    """Add a gauge read at each scrape; ``read`` returns None when there is nothing yet."""
    _SCRAPE_GAUGES[name] = (documentation, read)


def view_label(request: HttpRequest) -> str:
    """Return the route's name (never the path: it holds ids), or a fixed placeholder."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or "<unnamed>"


class RequestMetricsMiddleware:
    """Time each request and count it by route name, method and status class."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(
            view=view_label(request), method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


def _age(moment: Any) -> float | None:
    return None if moment is None else (timezone.now() - moment).total_seconds()


class ScrapeCollector(Collector):
    """Figures read from the database when Prometheus asks: the task queue and the seal."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        tasks = DBTaskResult.objects
        ready = tasks.ready()
        yield GaugeMetricFamily(
            "hoa_nhap_tasks_ready", "Tasks waiting for the worker.", value=ready.count()
        )
        yield GaugeMetricFamily(
            "hoa_nhap_tasks_running",
            "Tasks the worker has claimed and not finished.",
            value=tasks.filter(status=TaskResultStatus.RUNNING).count(),
        )
        oldest = _age(ready.aggregate(at=Min("enqueued_at"))["at"])
        yield GaugeMetricFamily(
            "hoa_nhap_tasks_oldest_ready_age_seconds",
            "How long the oldest waiting task has waited (0 when none waits).",
            value=oldest or 0.0,
        )
        from . import health  # the heartbeat task lives with the health checks

        beat = tasks.filter(
            task_path=health.HEARTBEAT_TASK, status=TaskResultStatus.SUCCESSFUL
        ).aggregate(at=Max("finished_at"))["at"]
        yield from _optional(
            "hoa_nhap_worker_heartbeat_age_seconds",
            "Time since the worker last ran the heartbeat task.",
            _age(beat),
        )
        for name, (documentation, read) in _SCRAPE_GAUGES.items():
            yield from _optional(name, documentation, read())


def _optional(name: str, documentation: str, value: float | None) -> Iterator[GaugeMetricFamily]:
    # Absent rather than a made-up number when there is none yet: alert on absent().
    if value is not None:
        yield GaugeMetricFamily(name, documentation, value=value)


_SCRAPE = CollectorRegistry(auto_describe=False)
_SCRAPE.register(ScrapeCollector())


def exposition() -> bytes:
    """Return the text a scrape receives: this process's (or all processes') and the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        own = generate_latest(processes)
    else:
        own = generate_latest(REGISTRY)
    return own + generate_latest(_SCRAPE)


def token_accepted(request: HttpRequest) -> bool:
    """Return whether the request carries the bearer token of HOA_NHAP_METRICS_TOKEN."""
    expected = str(getattr(settings, "METRICS_TOKEN", ""))
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


def _count_login_failure(sender: Any, **kwargs: Any) -> None:
    LOGIN_FAILURES.inc()  # the credentials the signal carries are never looked at


def _count_lockout(sender: Any, **kwargs: Any) -> None:
    LOCKOUTS.inc()


def connect_signals() -> None:
    """Count refused sign-ins (Django's signal) and lockouts (django-axes's)."""
    from axes.signals import user_locked_out

    user_login_failed.connect(_count_login_failure, dispatch_uid="hoa_nhap_metrics_login")
    user_locked_out.connect(_count_lockout, dispatch_uid="hoa_nhap_metrics_lockout")


CONTENT_TYPE = CONTENT_TYPE_LATEST

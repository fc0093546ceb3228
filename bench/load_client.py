"""The load test's client: signed-in sessions of mixed roles doing a day's work over HTTP.

A small asyncio client on httpx (bench/README.md says why not Locust): each session is one
staff member with their own cookie jar, signing in through the real pages (password, then the
authenticator code computed from the account's known TOTP secret), then doing its role's mix
of requests until the run's deadline or its request budget. It knows nothing of Django; what
it works on (people, cases, methadone episodes, referrals) comes in its ``Plan``, prepared by
``bench.load``. It records the time of every request by kind, every error (any status other
than the one the kind expects, a refused save shown on a 200 page, a timeout), and how many
audit events the successful requests were meant to write (``KINDS``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import random
import statistics
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Kind:
    """A kind of request: the events one successful request writes, and a short label."""

    label: str
    events: int


# Audit events each successful request writes, as measured one request at a time against a
# live server by tests/bench/test_load_client.py (which fails when the app changes one): a
# search, a page naming people, a dose each write one; recording a service two, accepting a
# referral three; the auditor's own pages none; the referral queue none, or one when it names
# someone (counted from the page, below).
KINDS: dict[str, Kind] = {
    "login": Kind("sign-in: password", 1),
    "second_factor": Kind("sign-in: authenticator code", 1),
    "search_citizen_id": Kind("search by citizen ID", 1),
    "search_name": Kind("search by name", 1),
    "person_page": Kind("person page", 1),
    "case_list": Kind("case list", 1),
    "case_page": Kind("case page", 1),
    "my_work": Kind("start page (my work)", 1),
    "service_add": Kind("record a delivered service", 2),
    "dose_list": Kind("methadone: the day's list", 1),
    "dose_record": Kind("methadone: record a dose", 1),
    "referral_queue": Kind("referral queue", 0),
    "referral_detail": Kind("referral page", 1),
    "referral_accept": Kind("referral: accept", 3),
    "audit_events": Kind("auditor: event list", 0),
    "audit_unusual": Kind("auditor: unusual activity", 0),
}

SIGN_IN = ("login", "second_factor")

# Each role's mix: kind and weight. A kind whose work list is empty (no episode left to
# dose, no referral left to accept) is skipped for another draw.
MIXES: dict[str, list[tuple[str, int]]] = {
    "caseworker": [
        ("search_citizen_id", 12), ("search_name", 8), ("person_page", 25), ("case_list", 12),
        ("case_page", 10), ("my_work", 10), ("service_add", 12), ("referral_queue", 4),
        ("referral_detail", 3), ("referral_accept", 4),
    ],
    "commune officer": [
        ("search_citizen_id", 10), ("search_name", 10), ("person_page", 25), ("case_list", 10),
        ("case_page", 10), ("my_work", 15), ("service_add", 12), ("referral_queue", 4),
        ("referral_detail", 2), ("referral_accept", 2),
    ],
    "methadone nurse": [("dose_record", 80), ("dose_list", 10), ("person_page", 10)],
    "supervisor": [
        ("case_list", 25), ("person_page", 30), ("search_citizen_id", 10), ("search_name", 10),
        ("case_page", 15), ("referral_queue", 10),
    ],
    "auditor": [("audit_events", 60), ("audit_unusual", 40)],
}  # fmt: skip
ROLES = list(MIXES)


@dataclass
class Plan:
    """One session: who signs in, and what they work on (ids and search terms they may see)."""

    username: str
    password: str
    totp_secret: str
    role: str
    people: list[str] = field(default_factory=list)  # person ids
    citizen_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)  # cases to read
    service_cases: list[str] = field(default_factory=list)  # cases to record a service on
    episodes: list[str] = field(default_factory=list)  # today's doses to record, one each
    referral_ids: list[str] = field(default_factory=list)  # sent to the session's organisation
    service_type: str = ""  # the catalogue id of the service to record
    today: str = ""  # ISO date


@dataclass
class Error:
    kind: str
    username: str
    status: int
    detail: str


@dataclass
class Results:
    """Every timed request by kind (ms), every error, and the events the client caused."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[Error] = field(default_factory=list)
    expected_events: int = 0
    started: float = 0.0
    ended: float = 0.0
    sessions: int = 0

    def add(self, kind: str, ms: float) -> None:
        self.timings.setdefault(kind, []).append(ms)
        self.expected_events += KINDS[kind].events

    @property
    def requests(self) -> int:
        return sum(len(t) for t in self.timings.values()) + len(self.errors)

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def table(self) -> str:
        """Return the per-kind Markdown table (count, throughput, p50/p95/p99, errors)."""
        lines = [
            "| request | count | per s | p50 ms | p95 ms | p99 ms | max ms | errors |",
            "|---|---|---|---|---|---|---|---|",
        ]
        errors: dict[str, int] = {}
        for error in self.errors:
            errors[error.kind] = errors.get(error.kind, 0) + 1
        every: list[float] = []
        for kind in [k for k in KINDS if k in self.timings or k in errors]:
            times = self.timings.get(kind, [])
            every += times
            lines.append(_row(KINDS[kind].label, times, self.seconds, errors.get(kind, 0)))
        lines.append(_row("**all**", every, self.seconds, len(self.errors)))
        return "\n".join(lines)


def _row(label: str, times: list[float], seconds: float, errors: int) -> str:
    if not times:
        return f"| {label} | 0 | 0 | — | — | — | — | {errors} |"
    p50, p95, p99 = percentiles(times)
    rate = len(times) / seconds if seconds else 0.0
    return (
        f"| {label} | {len(times):,} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | "
        f"{max(times):.0f} | {errors} |"
    )


def percentiles(times: list[float]) -> tuple[float, float, float]:
    """Return p50, p95 and p99 (inclusive method; a single value is all three)."""
    if len(times) == 1:
        return times[0], times[0], times[0]
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def totp_code(secret: str, at: float | None = None) -> str:
    """Return the 6-digit RFC 6238 code of a base32 secret (30 s steps, SHA-1), as an app."""
    key = base64.b32decode(secret.replace(" ", "").upper())
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Refused(Exception):
    """The server answered, but not as the kind expects."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class Session:
    """One signed-in staff member working through their plan."""

    def __init__(self, client: httpx.AsyncClient, plan: Plan, results: Results, seed: int):
        self.client = client
        self.plan = plan
        self.results = results
        self.rng = random.Random(f"{seed}:{plan.username}")
        self.episodes = list(plan.episodes)
        self.waiting = list(plan.referral_ids)

    # --- plumbing ---

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken") or ""}

    async def _timed(
        self,
        kind: str,
        call: Callable[[], Awaitable[httpx.Response]],
        expect: int,
        check: Callable[[httpx.Response], str] | None = None,
    ) -> httpx.Response | None:
        """Run one request; record its time if it answered as expected, else an error."""
        start = time.perf_counter()
        try:
            response = await call()
        except httpx.HTTPError as failure:
            self._error(kind, 0, f"{type(failure).__name__}: {failure}")
            return None
        ms = (time.perf_counter() - start) * 1000
        problem = "" if response.status_code == expect else f"expected {expect}"
        if not problem and check is not None:
            problem = check(response)
        if problem:
            where = response.headers.get("location", "")
            self._error(kind, response.status_code, f"{problem} {where}".strip())
            return None
        self.results.add(kind, ms)
        return response

    def _error(self, kind: str, status: int, detail: str) -> None:
        self.results.errors.append(Error(kind, self.plan.username, status, detail[:300]))

    async def get(self, kind: str, url: str) -> httpx.Response | None:
        return await self._timed(kind, lambda: self.client.get(url), 200)

    # --- signing in ---

    async def sign_in(self) -> bool:
        """Sign in through the login page and the authenticator-code page."""
        page = await self.client.get("/login/")
        if page.status_code != 200:
            self._error("login", page.status_code, "login page")
            return False
        data = {"username": self.plan.username, "password": self.plan.password}
        posted = await self._timed(
            "login", lambda: self.client.post("/login/", data=data, headers=self._csrf()), 302
        )
        if posted is None:
            return False
        form = await self.client.get("/account/two-factor/")
        if form.status_code != 200:
            self._error("second_factor", form.status_code, "code page")
            return False
        code = {"token": totp_code(self.plan.totp_secret)}
        done = await self._timed(
            "second_factor",
            lambda: self.client.post("/account/two-factor/", data=code, headers=self._csrf()),
            302,
        )
        return done is not None

    # --- the kinds ---

    def _pick(self, items: list[str]) -> str:
        return items[self.rng.randrange(len(items))]

    async def search(self, kind: str) -> None:
        """Search for one of the plan's people; the page must show them (or say "more than")."""
        n = self.rng.randrange(len(self.plan.people))
        person = self.plan.people[n]
        if kind == "search_citizen_id":
            data = {"kind": "citizen_id", "q": self.plan.citizen_ids[n]}
        else:
            data = {"kind": "name", "q": self.plan.names[n]}

        def found(response: httpx.Response) -> str:
            shown = f"/people/{person}/" in response.text or "search-more" in response.text
            return "" if shown else "the person searched for is not shown"

        await self._timed(
            kind,
            lambda: self.client.post("/people/", data=data, headers=self._csrf()),
            200,
            check=found,
        )

    async def service_add(self) -> None:
        case = self._pick(self.plan.service_cases)
        data = {
            "service_type": self.plan.service_type,
            "status": "delivered",
            "delivered_on": self.plan.today,
            "note": "",
        }
        url = f"/cases/{case}/add/service/"
        await self._timed(
            "service_add", lambda: self.client.post(url, data=data, headers=self._csrf()), 302
        )

    async def dose_record(self) -> None:
        episode = self.episodes.pop()
        headers = {**self._csrf(), "X-Requested-With": "fetch"}
        url = f"/methadone/today/{episode}/dose/"
        await self._timed(
            "dose_record",
            lambda: self.client.post(url, data={"kind": "1"}, headers=headers),
            200,
            check=lambda r: "" if r.json().get("ok") else str(r.json().get("error")),
        )

    async def referral_accept(self) -> None:
        referral = self.waiting.pop()
        url = f"/referrals/{referral}/act/"
        data = {"action": "accept", "comment": "", "outcome": ""}
        await self._timed(
            "referral_accept", lambda: self.client.post(url, data=data, headers=self._csrf()), 302
        )

    def available(self, kind: str) -> bool:
        """Return whether the session has something to do this kind of request on."""
        plan = self.plan
        needs: dict[str, Any] = {
            "search_citizen_id": plan.citizen_ids,
            "search_name": plan.names,
            "person_page": plan.people,
            "case_page": plan.case_ids,
            "service_add": plan.service_cases and plan.service_type,
            "dose_record": self.episodes,
            "referral_detail": plan.referral_ids,
            "referral_accept": self.waiting,
        }
        return bool(needs.get(kind, True))

    async def do(self, kind: str) -> None:
        """Perform one request of ``kind``."""
        plan = self.plan
        if kind in ("search_citizen_id", "search_name"):
            await self.search(kind)
        elif kind == "service_add":
            await self.service_add()
        elif kind == "dose_record":
            await self.dose_record()
        elif kind == "referral_accept":
            await self.referral_accept()
        elif kind == "referral_queue":
            page = await self.get(kind, self._url(kind, plan))
            # The queue records a listing only when it names someone (referrals.selectors.
            # people_named): a row's person cell is marked ``data-named`` then.
            if page is not None and "data-named" in page.text:
                self.results.expected_events += 1
        else:
            await self.get(kind, self._url(kind, plan))

    def _url(self, kind: str, plan: Plan) -> str:
        fixed = {
            "case_list": "/cases/",
            "my_work": "/my-work/",
            "dose_list": "/methadone/today/",
            "referral_queue": "/referrals/",
            "audit_events": "/audit/",
            "audit_unusual": "/audit/unusual/",
        }
        if kind in fixed:
            return fixed[kind]
        if kind == "person_page":
            return f"/people/{self._pick(plan.people)}/"
        if kind == "case_page":
            return f"/cases/{self._pick(plan.case_ids)}/"
        if kind == "referral_detail":
            return f"/referrals/{self._pick(plan.referral_ids)}/"
        raise ValueError(kind)

    def next_kind(self) -> str | None:
        mix = [(k, w) for k, w in MIXES[self.plan.role] if self.available(k)]
        if not mix:
            return None
        return self.rng.choices([k for k, _w in mix], [w for _k, w in mix])[0]

    async def work(self, *, deadline: float, budget: int, think: float) -> None:
        for _ in range(budget):
            if time.monotonic() >= deadline:
                return
            kind = self.next_kind()
            if kind is None:
                return
            await self.do(kind)
            if think:
                await asyncio.sleep(self.rng.expovariate(1 / think))


async def run(
    base_url: str,
    plans: list[Plan],
    *,
    duration: float,
    budget: int,
    think: float = 0.0,
    seed: int = 26,
    timeout: float = 60.0,
    marks: Callable[[str], None] | None = None,
    sign_in_at_once: int = 0,
) -> Results:
    """Sign every session in (all at once), then let them work until ``duration`` seconds
    have passed or each has made ``budget`` requests; return what was measured.

    ``marks`` is called with "work" once every session has signed in and with "done" when
    the work ends (the caller reads the processes' CPU time there). ``sign_in_at_once``
    bounds how many sessions sign in at the same moment (0: all): a password check costs a
    deliberate ~0.1 s of CPU (argon2), and staff arrive over minutes, not in one second."""
    results = Results(sessions=len(plans))
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits, follow_redirects=False)
        for _ in plans
    ]
    try:
        sessions = [
            Session(client, plan, results, seed)
            for client, plan in zip(clients, plans, strict=True)
        ]
        gate = asyncio.Semaphore(sign_in_at_once or len(sessions) or 1)

        async def sign_in(session: Session) -> bool:
            async with gate:
                return await session.sign_in()

        signed = await asyncio.gather(*(sign_in(s) for s in sessions))
        if marks is not None:
            marks("work")
        results.started = time.perf_counter()
        deadline = time.monotonic() + duration
        await asyncio.gather(
            *(
                s.work(deadline=deadline, budget=budget, think=think)
                for s, ok in zip(sessions, signed, strict=True)
                if ok
            )
        )
        results.ended = time.perf_counter()
        if marks is not None:
            marks("done")
    finally:
        for client in clients:
            await client.aclose()
    return results

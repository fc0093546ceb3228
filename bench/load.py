"""Load-test the whole app (issue 26): a multi-worker server, a generated dataset, 64 sessions.

Usage: ``make bench-load [LOAD_PEOPLE=1000000] [LOAD_ARGS="--duration 180 …"]`` or
``HOA_NHAP_DEMO=1 DATABASE_URL=postgres://… python -m bench.load --people 20000``.

1. Grows the scale dataset (``bench.scale_data`` with three years of records,
   ``bench.scale_records``) to ``--people``.
2. Creates the sessions' accounts (``load_<role>_<n>``: a password and a TOTP secret the
   client knows, as the demo's accounts) and what each works on (``bench.load_client.Plan``).
3. Starts gunicorn (``--server-workers`` sync workers) on 127.0.0.1 at a free port, against the
   same PostgreSQL, and waits for the login page.
4. Runs the client (``bench.load_client``): every session signs in through the real pages,
   then works until ``--duration`` seconds or ``--budget`` requests per session.
   With ``--sequencer process`` (the default, as a national instance runs) the audit
   sequencer runs beside it (``sequence_audit_chain --follow``, decision D33) and the
   requests only insert their events; ``commit`` chains at each commit instead.
5. Stops the server and the sequencer, reports how long events waited for their link,
   chains what is left, verifies the chain (``verify_audit_chain``) and compares the events
   written during the run with those the client's successful requests write
   (``load_client.KINDS``).
6. Writes ``bench/results/<date>-load.md``. Nothing is asserted; it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import hashlib
import io
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess  # noqa: S404  (the server under test, started from our own venv)
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.actions import totp_device_create  # noqa: E402
from accounts.models import TOTPDevice  # noqa: E402
from audit import chain  # noqa: E402
from audit.models import Event, Link  # noqa: E402
from cases import access  # noqa: E402
from cases.choices import CaseStatus, Role  # noqa: E402
from cases.models import Organisation, StaffProfile  # noqa: E402
from cases.roles import staff_profile_save  # noqa: E402
from referrals.models import Referral, State  # noqa: E402
from services.methadone.models import Dose  # noqa: E402
from services.models import Modality, ServiceType, TreatmentEpisode  # noqa: E402

from . import load_client, scale, scale_data, scale_records  # noqa: E402
from . import sequencer as bench_sequencer  # noqa: E402

HERE = Path(__file__).resolve().parent
PASSWORD = "load-bench-not-a-secret-26"  # noqa: S105  (throwaway accounts of a throwaway database)
# Shares of the sessions by role, and the organisations each role's sessions rotate over.
SHARES = {
    "caseworker": 0.28,
    "commune officer": 0.22,
    "methadone nurse": 0.28,
    "supervisor": 0.12,
    "auditor": 0.10,
}
PLACES: dict[str, list[str]] = {
    "caseworker": [
        "rehab_1",
        "shelter_1",
        "health_1",
        "clinic_2",
        "rehab_2",
        "vocational",
        "health_2",
        "shelter_2",
        "clinic_3",
        "legal",
        "rehab_private",
        "clinic_4",
    ],
    "commune officer": [f"commune_{n}" for n in range(1, 13)],
    "methadone nurse": [f"clinic_{n}" for n in range(1, 7)],
    "supervisor": ["social"],
    "auditor": ["social"],
}
ROLE_OF = {
    "caseworker": Role.CASEWORKER,
    "commune officer": Role.COMMUNE_OFFICER,
    "methadone nurse": Role.CASEWORKER,
    "supervisor": Role.SUPERVISOR,
    "auditor": Role.AUDITOR,
}


def roles_for(sessions: int) -> list[str]:
    """Return each session's role: the shares rounded, every role at least once."""
    counts = {role: max(1, round(sessions * share)) for role, share in SHARES.items()}
    while sum(counts.values()) > sessions:
        counts[max(counts, key=lambda r: counts[r])] -= 1
    while sum(counts.values()) < sessions:
        counts["caseworker"] += 1
    return [role for role, n in counts.items() for _ in range(n)]


def totp_secret(username: str) -> str:
    """Return the account's TOTP secret, derived from its name (the client computes codes)."""
    return base64.b32encode(
        hashlib.sha256(f"bench-load:{username}".encode()).digest()[:20]
    ).decode()


def ensure_account(username: str, role: str, org: Organisation) -> Any:
    """Create (or find) a load account with its staff profile, password and TOTP device."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username, password=PASSWORD)
        staff_profile_save(
            actor=None,
            profile=StaffProfile(
                user=user, organisation=org, role=ROLE_OF[role], scope_unit=org.unit
            ),
        )
        totp_device_create(user=user, confirmed=True, secret=totp_secret(username))
    else:
        # A rerun in the same 30-second step must not be refused as a replayed code.
        TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return user


def _org_sample(user: Any) -> list[scale.Sample]:
    try:
        return scale.visible_sample(user)
    except RuntimeError:
        return []


def prepare(world: scale_data.World, sessions: int) -> list[load_client.Plan]:
    """Create the accounts and return each session's plan (what it signs in as, works on)."""
    orgs = {
        key: Organisation.objects.select_related("unit").get(pk=pk)
        for key, pk in world.orgs.items()
    }
    roles = roles_for(sessions)
    today = timezone.localdate()
    counselling = str(ServiceType.objects.get(code="counselling").pk)
    samples: dict[tuple[str, str], list[scale.Sample]] = {}
    nurses: dict[str, list[int]] = {}
    receivers: dict[str, list[int]] = {}
    plans: list[load_client.Plan] = []
    seen: dict[str, int] = {}
    for n, role in enumerate(roles):
        index = seen[role] = seen.get(role, -1) + 1
        key = PLACES[role][index % len(PLACES[role])]
        username = f"load_{role.replace(' ', '_')}_{index + 1}"
        user = ensure_account(username, role, orgs[key])
        user = get_user_model().objects.select_related("staff__scope_unit").get(pk=user.pk)
        plan = load_client.Plan(
            username,
            PASSWORD,
            totp_secret(username),
            role,
            service_type=counselling,
            today=today.isoformat(),
        )
        plans.append(plan)
        if role == "auditor":
            continue
        sample = samples.setdefault((key, role), _org_sample(user))
        turn = index // len(PLACES[role])  # sessions of one place start at different people
        sample = sample[turn:] + sample[:turn]
        plan.people = [s.person_id for s in sample]
        plan.citizen_ids = [s.citizen_id for s in sample]
        plan.names = [s.folded_name for s in sample]
        plan.case_ids = [
            str(pk)
            for pk in access.visible_cases(user)
            .filter(person_id__in=plan.people)
            .values_list("pk", flat=True)[:30]
        ]
        if role in ("caseworker", "commune officer"):
            own = access.visible_cases(user, "change").filter(
                organisation_id=orgs[key].pk, status=CaseStatus.OPEN
            )
            plan.service_cases = [str(pk) for pk in own.values_list("pk", flat=True)[:30]]
            receivers.setdefault(key, []).append(n)
        if role == "methadone nurse":
            nurses.setdefault(key, []).append(n)
    _share_doses(plans, nurses, orgs, today)
    _share_referrals(plans, receivers, orgs)
    return plans


def _share_doses(
    plans: list[load_client.Plan],
    nurses: dict[str, list[int]],
    orgs: dict[str, Organisation],
    today: datetime.date,
) -> None:
    """Split each clinic's patients not yet dosed today among its nurses (one dose each)."""
    for key, sessions in nurses.items():
        episodes = TreatmentEpisode.objects.filter(
            provider=orgs[key], modality=Modality.METHADONE, ended_on__isnull=True
        ).exclude(pk__in=Dose.objects.filter(given_on=today).values("episode_id"))
        ids = [str(pk) for pk in episodes.order_by("pk").values_list("pk", flat=True)]
        for turn, n in enumerate(sessions):
            plans[n].episodes = ids[turn :: len(sessions)]


def _share_referrals(
    plans: list[load_client.Plan],
    receivers: dict[str, list[int]],
    orgs: dict[str, Organisation],
) -> None:
    """Split the referrals waiting at each organisation among its sessions (accept each once)."""
    for key, sessions in receivers.items():
        waiting = Referral.objects.filter(to_organisation=orgs[key], state=State.SENT)
        ids = [str(pk) for pk in waiting.order_by("pk").values_list("pk", flat=True)[:200]]
        for turn, n in enumerate(sessions):
            plans[n].referral_ids = ids[turn :: len(sessions)]


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """Start gunicorn on loopback with the current environment; wait for the login page."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--backlog",
        "256",
        "--error-logfile",
        str(log),
        "--no-control-socket",
    ]
    server = subprocess.Popen(command, cwd=HERE.parent)  # noqa: S603
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:  # noqa: S310
                if page.status == 200:
                    return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({server.returncode}); see {log}") from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not answer in 60 s")


def chain_lag(since: datetime.datetime) -> tuple[int, list[float]]:
    """Return the events written since ``since`` still unchained, and each linked one's wait."""
    waiting, _oldest = chain.pending()
    linked = Link.objects.filter(event__at__gte=since).values_list("at", "event__at")
    return waiting, sorted((at - written).total_seconds() * 1000 for at, written in linked)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _cpu_s(pid: int) -> float:
    """Return a live process's CPU seconds (user + system), 0 if it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of stat, 11 and 12 after the name and the state.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.append(int(stat.parent.name))
    return found


def postmaster_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend: int = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


class CpuMarks:
    """The CPU seconds of the server's workers and of PostgreSQL's processes at marks.

    Read from /proc at "work" (every session signed in) and "done": the difference is what
    the work cost each side, sign-in (password hashing) left out. The database's side is
    every child of the postmaster (connections, autovacuum, checkpointer, WAL writer); a
    process that starts and ends between the marks (an autovacuum worker) is missed.
    """

    def __init__(self, server: int, postmaster: int, client: int, sequencer: int = 0) -> None:
        self.pids = {"app": server, "db": postmaster, "client": client}
        if sequencer:
            self.pids["sequencer"] = sequencer
        self.at: dict[str, dict[str, float]] = {}

    def __call__(self, mark: str) -> None:
        self.at[mark] = {
            side: sum(_cpu_s(p) for p in [pid, *_children(pid)]) for side, pid in self.pids.items()
        }

    def spent(self) -> dict[str, float]:
        if "work" not in self.at or "done" not in self.at:
            return {}
        return {side: self.at["done"][side] - self.at["work"][side] for side in self.pids}


# --- after the run --------------------------------------------------------------------------


def events_count() -> int:
    return Event.objects.count()


def verify_chain() -> tuple[bool, str]:
    """Chain what is left (there should be nothing), then verify the chain."""
    out = io.StringIO()
    call_command("sequence_audit_chain", stdout=out)
    notes = [f"`sequence_audit_chain` run first: {out.getvalue().strip()}"]
    out = io.StringIO()
    try:
        call_command("verify_audit_chain", stdout=out)
    except CommandError as problem:
        return False, f"{problem}"
    return True, "; ".join([*notes, out.getvalue().strip()])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--people", type=int, default=1_000_000, help="dataset size")
    parser.add_argument("--sessions", type=int, default=64, help="concurrent signed-in sessions")
    parser.add_argument("--duration", type=float, default=180, help="seconds of work, at most")
    parser.add_argument("--budget", type=int, default=2000, help="requests per session, at most")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause between a session's requests, s (0: none, closed loop)",
    )
    parser.add_argument(
        "--sign-in-at-once",
        type=int,
        default=8,
        help="sessions signing in at the same moment (0: all 64 at once)",
    )
    parser.add_argument("--server-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes generating the dataset"
    )
    parser.add_argument(
        "--methadone-share",
        type=float,
        default=0.03,
        help="share of a clinic's addiction cases in methadone treatment",
    )
    parser.add_argument("--dose-days", type=int, default=30)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--note", default="", help="a line about the machine, for the report")
    parser.add_argument(
        "--sequencer",
        choices=["process", "commit"],
        default="process",
        help="who chains the audit events (HOA_NHAP_AUDIT_SEQUENCER; default process)",
    )
    args = parser.parse_args(argv)

    call_command("migrate", verbosity=0)
    world = scale_data.ensure_world(args.seed)
    mix = scale_records.RecordMix(methadone_share=args.methadone_share, dose_days=args.dose_days)
    grown = scale_data.grow(
        world, to=args.people, seed=args.seed, workers=args.workers, records=mix
    )
    print(
        f"dataset {grown.people:,} people, {grown.cases:,} cases (+{grown.added_people:,} in "
        f"{grown.load_s:.0f} s, vacuum {grown.vacuum_s:.0f} s)",
        flush=True,
    )
    plans = prepare(world, args.sessions)
    dataset = dataset_counts()
    connections.close_all()
    before = events_count()
    postmaster = postmaster_pid()
    port = free_port()
    log = HERE.parent / "var" / "load-server.log"  # gunicorn's errors, if any
    log.parent.mkdir(exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    os.environ["HOA_NHAP_AUDIT_SEQUENCER"] = args.sequencer
    sequencer = bench_sequencer.start() if args.sequencer == "process" else None
    started = timezone.now()
    server = start_server(port, args.server_workers, log)
    marks = CpuMarks(server.pid, postmaster, os.getpid(), sequencer.pid if sequencer else 0)
    load = [os.getloadavg()[0]]
    try:
        print(
            f"server: gunicorn, {args.server_workers} workers on 127.0.0.1:{port}; "
            f"{len(plans)} sessions for {args.duration:.0f} s",
            flush=True,
        )
        results = asyncio.run(
            load_client.run(
                f"http://127.0.0.1:{port}",
                plans,
                duration=args.duration,
                budget=args.budget,
                think=args.think,
                seed=args.seed,
                marks=marks,
                sign_in_at_once=args.sign_in_at_once,
            )
        )
        load.append(os.getloadavg()[0])
    finally:
        stop_server(server)
        if sequencer is not None:
            bench_sequencer.stop(sequencer)
    cpu = marks.spent()
    written = events_count() - before
    lag = chain_lag(started)
    ok, verdict = verify_chain()
    report = render(args, plans, results, dataset, written, ok, verdict, load, cpu, lag)
    out = args.results / f"{timezone.localdate().isoformat()}-load.md"
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"report: {out}")


def dataset_counts() -> dict[str, int]:
    tables = {"people": "cases_person", "cases": "cases_case", "audit events": "audit_event"}
    tables |= {m._meta.db_table: m._meta.db_table for m in scale_records.ORDER}
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[str(label)] = cursor.fetchone()[0]
    return counts


def _cpu_lines(cpu: dict[str, float], work: int, seconds: float) -> list[str]:
    if not cpu:
        return ["(not measured: the run stopped before its work ended)"]
    per = {side: spent * 1000 / max(work, 1) for side, spent in cpu.items()}
    return [
        f"CPU seconds of the work ({seconds:.0f} s, after every session signed in), read from "
        f"/proc: gunicorn's master and workers {cpu['app']:.1f} s, PostgreSQL's processes "
        f"{cpu['db']:.1f} s, the client {cpu['client']:.1f} s. Per request: "
        f"**{per['app']:.1f} ms in the app server, {per['db']:.1f} ms in the database**, "
        f"{per['client']:.1f} ms in the client"
        + (
            f", {per['sequencer']:.1f} ms in the audit sequencer ({cpu['sequencer']:.1f} s)"
            if "sequencer" in per
            else ""
        )
        + ". The machine's other work is not in these figures; its share of the cores is "
        "what stretched the latencies."
    ]


def _pg_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version: str = cursor.fetchone()[0]
    return version


def _lag_line(sequencer: str, waiting: int, lag: list[float]) -> str:
    who = (
        "the sequencer process (`sequence_audit_chain --follow`)"
        if sequencer == "process"
        else "each commit"
    )
    if not lag:
        return f"- chained by {who}; no event of the run was linked before the end"
    pct = statistics.quantiles(lag, n=100, method="inclusive") if len(lag) > 1 else lag * 99
    return (
        f"- chained by {who}: an event waited for its link p50 {pct[49]:.0f} ms, p95 "
        f"{pct[94]:.0f} ms, max {lag[-1]:.0f} ms; {waiting} still unchained when the server "
        f"and the sequencer stopped"
    )


def render(
    args: argparse.Namespace,
    plans: list[load_client.Plan],
    results: load_client.Results,
    dataset: dict[str, int],
    written: int,
    ok: bool,
    verdict: str,
    load: list[float],
    cpu: dict[str, float],
    lag: tuple[int, list[float]],
) -> str:
    roles: dict[str, int] = {}
    for plan in plans:
        roles[plan.role] = roles.get(plan.role, 0) + 1
    work = sum(len(t) for k, t in results.timings.items() if k not in ("login", "second_factor"))
    lines = [
        f"# Load test, {timezone.now():%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `python -m bench.load {shlex.join(sys.argv[1:])}` (`make bench-load`).",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        f"{_pg_version()} "
        f"(`scripts/with-postgres` defaults: fsync off, 128 MB shared buffers); load average "
        f"{load[0]:.1f} at the start, {load[-1]:.1f} at the end. {args.note}".rstrip(),
        f"Server: gunicorn {args.server_workers} sync workers on 127.0.0.1; client: "
        f"bench.load_client (asyncio + httpx) in one process on the same machine.",
        f"Sessions: {len(plans)} ({', '.join(f'{n} {r}' for r, n in roles.items())}), "
        f"think time {args.think:g} s, {args.duration:g} s or {args.budget} requests each.",
        "",
        "Dataset: " + ", ".join(f"{n:,} {label}" for label, n in dataset.items()) + ".",
        "",
        f"**Throughput: {work / results.seconds:.1f} requests/s** ({work:,} requests after "
        f"sign-in in {results.seconds:.1f} s); errors: **{len(results.errors)}**.",
        "",
        results.table(),
        "",
        f"Sign-in rows are timed before the work starts, {args.sign_in_at_once or len(plans)} "
        f"sessions at a time.",
        "",
        "## Where the CPU went",
        "",
        *_cpu_lines(cpu, work, results.seconds),
        "",
        "## Audit",
        "",
        f"- events written during the run: {written:,}; events the client's successful "
        f"requests write: {results.expected_events:,} — "
        + ("**equal**" if written == results.expected_events else "**DIFFERENT**"),
        f"- chain: {'verified' if ok else '**BROKEN**'} ({verdict})",
        _lag_line(args.sequencer, *lag),
    ]
    if results.errors:
        lines += ["", "## Errors (first 30)", ""]
        lines += [
            f"- {e.kind}, {e.username}: HTTP {e.status} {e.detail}" for e in results.errors[:30]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

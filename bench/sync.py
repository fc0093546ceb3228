"""Measure the API's sync over the change feed (decision D59) at two (or more) sizes.

Usage: ``HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/python -m bench.sync --sizes
20000,200000``. For each size the scale generator (``bench.scale_data``, with the records of
``bench.scale_records``: episodes, screenings, services, doses, referrals) grows the dataset;
its COPY fires the feed's triggers, so the feed holds a row per generated row, as after the
years of writes it stands for. Then, through ``api.sync.changes_page`` (the operation's own
function, without HTTP):

- **first full pull** of a clinic's client (the scale world's caseworker organisation):
  every page of 500 until ``more`` is false; the total and the median page;
- **a page of changes**, for that client and for a province supervisor's client already in
  step (its state set to the feed's head, as after its first pull): ``--writes`` people and
  cases it sees are changed (one statement each, as a page's save), then one page is timed;
  ``--reps`` times.

Prints medians and the growth ratio between the first and the last size; writes them to
``bench/results/sync-<sizes>.json``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from api import sync, tokens  # noqa: E402
from api.models import ApiClient, Change, SyncEntry, SyncState, SyncTold  # noqa: E402
from cases import access  # noqa: E402
from cases.models import Case, Person  # noqa: E402

from . import scale_data, scale_records  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGE = 500


def say(text: str) -> None:
    print(text, flush=True)


def client_for(user_id: int, name: str) -> ApiClient:
    """An API client acting as an existing staff account (its role and scope as they are)."""
    ApiClient.objects.filter(name=name).delete()
    token = tokens.make()
    return ApiClient.objects.create(
        name=name,
        account=User.objects.get(pk=user_id),
        token_prefix=token.prefix,
        token_hash=token.digest,
        expires_at=timezone.now() + datetime.timedelta(days=1),
        rate_per_minute=10**6,
        created_by=User.objects.get(pk=user_id),
    )


def forget(client: ApiClient) -> None:
    SyncEntry.objects.filter(client=client).delete()
    SyncTold.objects.filter(client=client).delete()
    SyncState.objects.filter(client=client).delete()


def full_pull(client: ApiClient) -> dict[str, Any]:
    forget(client)
    cursor, pages, entries, times = "", 0, 0, []
    start = time.perf_counter()
    while True:
        began = time.perf_counter()
        page = sync.changes_page(client=client, cursor=cursor, limit=PAGE)
        times.append((time.perf_counter() - began) * 1000)
        pages, entries = pages + 1, entries + len(page.changes)
        cursor = page.cursor or cursor
        if not page.more:
            break
    return {
        "total_s": round(time.perf_counter() - start, 2),
        "pages": pages,
        "entries": entries,
        "page_median_ms": round(statistics.median(times), 1),
    }


def in_step(client: ApiClient) -> None:
    """Set the client's state to the feed's head, as after its first pull: told of every
    person and case there is at its version (the ledger a pull leaves)."""
    forget(client)
    head = Change.objects.order_by("-xid", "-seq").values_list("xid", "seq").first() or (0, 0)
    with connection.cursor() as cursor:
        for kind, table, case in (("person", "cases_person", "NULL"), ("case", "cases_case", "id")):
            cursor.execute(
                'INSERT INTO "api_synctold"'
                ' ("client_id", "kind", "object_id", "case_id", "version")'
                f' SELECT %s, %s, "id"::text, {case}, "version" FROM "{table}"',  # noqa: S608
                [client.pk, kind],
            )
    reach, moved = access.reach_sync(client.account)
    SyncState.objects.create(
        client=client,
        phase=SyncState.Phase.FEED,
        feed_xid=head[0],
        feed_seq=head[1],
        reach=reach,
        moved_out=",".join(sorted(str(p) for p in moved)),
    )


def page_of_changes(client: ApiClient, writes: int, reps: int) -> dict[str, Any]:
    people = list(
        access.visible_people(client.account).values_list("pk", flat=True)[: writes * reps]
    )
    cases = list(access.visible_cases(client.account).values_list("pk", flat=True)[: writes * reps])
    times, sizes = [], []
    cursor = ""
    # Catch up first (the pull, or nothing for a client in step).
    while True:
        page = sync.changes_page(client=client, cursor=cursor, limit=PAGE)
        cursor = page.cursor or cursor
        if not page.more:
            break
    for rep in range(reps):
        chosen_people = people[rep * writes // 2 : (rep + 1) * writes // 2]
        chosen_cases = cases[rep * writes // 2 : (rep + 1) * writes // 2]
        for pk in chosen_people:
            Person.objects.filter(pk=pk).update(version=F("version") + 1)
        for pk in chosen_cases:
            Case.objects.filter(pk=pk).update(version=F("version") + 1)
        began = time.perf_counter()
        page = sync.changes_page(client=client, cursor=cursor, limit=PAGE)
        times.append((time.perf_counter() - began) * 1000)
        sizes.append(len(page.changes))
        cursor = page.cursor or cursor
    return {
        "page_median_ms": round(statistics.median(times), 1),
        "entries_per_page": statistics.median(sizes),
        "reps": reps,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--sizes", default="20000,200000", help="people, ascending")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--writes", type=int, default=100, help="changes before a timed page")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    call_command("migrate", verbosity=0)
    world = scale_data.ensure_world(args.seed)
    mix = scale_records.RecordMix()
    out: dict[str, Any] = {"sizes": sizes, "page": PAGE, "by_size": {}}
    for size in sizes:
        grown = scale_data.grow(world, to=size, seed=args.seed, workers=args.workers, records=mix)
        with connection.cursor() as cursor:
            cursor.execute('VACUUM (ANALYZE) "api_change"')
        feed_rows = Change.objects.count()
        say(
            f"{grown.people:,} people, {grown.cases:,} cases, {feed_rows:,} feed rows "
            f"(generated in {grown.load_s:.0f} s)"
        )
        clinic = client_for(world.actors["caseworker"], "bench-clinic")
        supervisor = client_for(world.actors["province supervisor"], "bench-province")
        result: dict[str, Any] = {"people": grown.people, "cases": grown.cases, "feed": feed_rows}
        result["clinic_first_pull"] = full_pull(clinic)
        say(f"  clinic first pull: {result['clinic_first_pull']}")
        result["clinic_page_of_changes"] = page_of_changes(clinic, args.writes, args.reps)
        say(f"  clinic page of changes: {result['clinic_page_of_changes']}")
        in_step(supervisor)
        result["province_page_of_changes"] = page_of_changes(supervisor, args.writes, args.reps)
        say(f"  province page of changes: {result['province_page_of_changes']}")
        out["by_size"][size] = result
    first, last = out["by_size"][sizes[0]], out["by_size"][sizes[-1]]
    growth = {
        "clinic_first_pull_total": last["clinic_first_pull"]["total_s"]
        / max(first["clinic_first_pull"]["total_s"], 1e-9),
        "clinic_first_pull_page": last["clinic_first_pull"]["page_median_ms"]
        / first["clinic_first_pull"]["page_median_ms"],
        "clinic_page_of_changes": last["clinic_page_of_changes"]["page_median_ms"]
        / first["clinic_page_of_changes"]["page_median_ms"],
        "province_page_of_changes": last["province_page_of_changes"]["page_median_ms"]
        / first["province_page_of_changes"]["page_median_ms"],
    }
    out["growth"] = {k: round(v, 2) for k, v in growth.items()}
    say(f"growth {sizes[0]:,} -> {sizes[-1]:,}: {out['growth']}")
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"sync-{'-'.join(str(s) for s in sizes)}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    say(f"written {path}")


if __name__ == "__main__":
    main()

"""Compare the grant reads of cases.access with guardian's own API, by query plan (D32).

Usage: ``HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/python -m bench.grants_explain
[--people 20000] [--grants 20000]``. Grows the scale benchmark's dataset, gives one
caseworker 40 live and 40 expired ``view_case`` grants and other staff many more, then prints
EXPLAIN (ANALYZE, BUFFERS) of: the reach statement's grant part (ours), guardian's
``get_objects_for_user`` and ``ObjectPermissionChecker.prefetch_perms`` for a page of 50 cases,
and how many of the expired grants each answers as live. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from guardian.core import ObjectPermissionChecker  # noqa: E402
from guardian.shortcuts import get_objects_for_user  # noqa: E402

from accounts.models import User  # noqa: E402
from bench import scale_data  # noqa: E402
from cases import access  # noqa: E402
from cases.access import reach  # noqa: E402
from cases.models import Case, CaseUserObjectPermission  # noqa: E402


def explain(sql: str, params: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.grants_explain")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--grants", type=int, default=20_000, help="grant rows of other staff")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    world = scale_data.ensure_world(10)
    scale_data.grow(world, to=args.people, seed=10, workers=1)
    rng = random.Random(24)
    view_case = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    case_ids = list(Case.objects.values_list("pk", flat=True)[: args.grants + 200])
    holder = User.objects.get(pk=world.actors["caseworker"])
    others = list(User.objects.exclude(pk=holder.pk).filter(staff__isnull=False)[:200])
    now = timezone.now()
    rows = [
        CaseUserObjectPermission(
            user=rng.choice(others),
            permission=view_case,
            content_object_id=case_id,
            expires_at=now + timedelta(days=rng.choice([-30, 30, 90])),
        )
        for case_id in case_ids[200:]
    ]
    mine = case_ids[:80]
    rows += [
        CaseUserObjectPermission(
            user=holder,
            permission=view_case,
            content_object_id=case_id,
            expires_at=now + timedelta(days=30 if n < 40 else -30),
        )
        for n, case_id in enumerate(mine)
    ]
    CaseUserObjectPermission.objects.bulk_create(rows, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {CaseUserObjectPermission._meta.db_table}")
    grants, cases = CaseUserObjectPermission.objects.count(), Case.objects.count()
    print(f"{grants:,} case grants, {cases:,} cases")

    profile = holder.staff
    roles = access.roles_of(holder)
    sql, params = reach._reach_sql(profile, frozenset(roles))
    print("\n--- ours: the reach statement (units, organisations, live grants), once a request")
    print(explain(sql, params))
    ours = reach._resolve_reach(holder, profile, frozenset(roles)).granted("view_case")
    print(f"live grants read: {len(ours)} (of 40 live, 40 expired)")

    guardian_rows = get_objects_for_user(
        holder, "cases.view_case", klass=Case, with_superuser=False, accept_global_perms=False
    )
    gsql, gparams = guardian_rows.values("pk").query.sql_with_params()
    print("\n--- guardian: get_objects_for_user(user, 'cases.view_case', Case)")
    print(gsql % tuple(repr(p) for p in gparams))
    print(explain(gsql, gparams))
    print(f"objects answered: {guardian_rows.count()} (expired ones included)")

    page = Case.objects.filter(pk__in=mine[:50])
    checker = ObjectPermissionChecker(holder)
    with CaptureQueriesContext(connection) as queries:
        checker.prefetch_perms(page)
    print("\n--- guardian: ObjectPermissionChecker.prefetch_perms(a page of 50 cases)")
    print(f"{len(queries.captured_queries)} statements")
    for query in queries.captured_queries:
        print(query["sql"][:400])
    expired = [c for c in page if checker.has_perm("view_case", c)]
    print(f"has_perm true for {len(expired)} of 50 (the page holds 40 live and 10 expired)")


if __name__ == "__main__":
    main()

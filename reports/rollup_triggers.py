"""The staleness triggers of the figures' roll-up (decision D37), as SQL for migrations.

Each table an indicator reads gets three statement-level triggers (insert, update, delete;
transition tables, so a bulk insert marks its communes in one statement) and a truncate
trigger, all inserting :class:`~reports.models.FigureStale` markers in the writing
transaction. A table is given with the SQL that finds, from its rows ``t``, the communes
they count in; ``None`` marks every commune (a catalogue or directory table: a change there
can move any figure, and no insert can: a new row is not yet referred to).
``tests/reports/test_rollup.py`` checks that every table an indicator's query reads is here.
"""

from __future__ import annotations

from collections.abc import Mapping

# The rows' communes, from a transition table aliased "t".
DIRECT = 'SELECT t."residence_commune_id" FROM {rows} t'
BY_CASE = (
    'SELECT c."residence_commune_id" FROM {rows} t JOIN "cases_case" c ON c."id" = t."case_id"'
)
BY_PERSON = (
    'SELECT p."residence_commune_id" FROM {rows} t JOIN "cases_person" p ON p."id" = t."person_id"'
)
BY_EPISODE = (
    'SELECT p."residence_commune_id" FROM {rows} t'
    ' JOIN "services_treatmentepisode" e ON e."id" = t."episode_id"'
    ' JOIN "cases_person" p ON p."id" = e."person_id"'
)
# The facility registry (facilities app, D49): a facility counts in the commune it stands in.
FACILITY = 'SELECT t."commune_id" FROM {rows} t'
BY_FACILITY = (
    'SELECT f."commune_id" FROM {rows} t'
    ' JOIN "facilities_facilityprofile" f ON f."id" = t."facility_id"'
)

# A residence row counts its person in its commune on its days, and may take them from
# (or give them back to) the commune they live in now (D50): both.
BY_RESIDENCE = (
    'SELECT t."commune_id" FROM {rows} t UNION ALL SELECT p."residence_commune_id" FROM {rows} t'
    ' JOIN "cases_person" p ON p."id" = t."person_id"'
)

# A reorganisation's mapping row (D57): its old unit's ended residence rows now count in its
# new unit, re-based.
BY_SUCCESSION = (
    'SELECT t."new_unit_id" FROM {rows} t UNION ALL SELECT t."old_unit_id" FROM {rows} t'
)

# Table → its communes (None: every commune). The migration that installs a set of
# triggers keeps its own copy of this mapping.
TABLES: Mapping[str, str | None] = {
    "cases_person": DIRECT,
    "cases_case": DIRECT,
    "services_treatmentepisode": BY_PERSON,
    "services_screening": BY_CASE,
    "services_servicerecord": BY_CASE,
    "services_postrehabperiod": BY_CASE,
    "services_vocationalsupport": BY_CASE,
    "services_shelterstay": BY_CASE,
    "referrals_referral": BY_CASE,
    "methadone_dose": BY_EPISODE,
    "services_servicetype": None,
    "cases_organisation": None,
    "cases_organisationtype": None,
    # Installed by facilities' migration, with a second trigger on the two stay tables that
    # marks the facility's commune (``facilities.rollup``).
    "facilities_facilityprofile": FACILITY,
    "facilities_conditionreview": BY_FACILITY,
    "cases_residence": BY_RESIDENCE,
    "cases_unitsuccession": BY_SUCCESSION,
}

_MARK = (
    'INSERT INTO "reports_figurestale" ("commune_id") SELECT DISTINCT x FROM ({select}) AS s(x)'
    " WHERE x IS NOT NULL;"
)
_ALL = 'INSERT INTO "reports_figurestale" ("commune_id") VALUES (NULL);'


def trigger_name(table: str, suffix: str = "") -> str:
    """Return the stem of a table's trigger and function names (``suffix``: a second set of
    triggers on the same table, marking other communes)."""
    return f"figures_stale_{table}{suffix}"


def forward(tables: Mapping[str, str | None], suffix: str = "") -> str:
    """Return the SQL that installs the triggers of ``tables``."""
    parts: list[str] = []
    for table, select in tables.items():
        name = trigger_name(table, suffix)
        if select is None:
            body = f"BEGIN {_ALL} RETURN NULL; END;"
        else:
            new = _MARK.format(select=select.format(rows='"figures_new"'))
            old = _MARK.format(select=select.format(rows='"figures_old"'))
            body = (
                "BEGIN "
                f"IF TG_OP = 'TRUNCATE' THEN {_ALL} "
                f"ELSIF TG_OP = 'INSERT' THEN {new} "
                f"ELSIF TG_OP = 'DELETE' THEN {old} "
                f"ELSE {new} {old} END IF; "
                "RETURN NULL; END;"
            )
        parts.append(
            f'CREATE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$;'
        )
        if select is None:
            parts.append(
                f'CREATE TRIGGER "{name}" AFTER UPDATE OR DELETE OR TRUNCATE ON "{table}"'
                f' FOR EACH STATEMENT EXECUTE FUNCTION "{name}"();'
            )
            continue
        parts += [
            f'CREATE TRIGGER "{name}_ins" AFTER INSERT ON "{table}"'
            f' REFERENCING NEW TABLE AS "figures_new"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{name}"();',
            f'CREATE TRIGGER "{name}_upd" AFTER UPDATE ON "{table}"'
            f' REFERENCING OLD TABLE AS "figures_old" NEW TABLE AS "figures_new"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{name}"();',
            f'CREATE TRIGGER "{name}_del" AFTER DELETE ON "{table}"'
            f' REFERENCING OLD TABLE AS "figures_old"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{name}"();',
            f'CREATE TRIGGER "{name}_trunc" AFTER TRUNCATE ON "{table}"'
            f' FOR EACH STATEMENT EXECUTE FUNCTION "{name}"();',
        ]
    return "\n".join(parts)


def reverse(tables: Mapping[str, str | None], suffix: str = "") -> str:
    """Return the SQL that removes the triggers of ``tables`` (their functions, cascading)."""
    return "\n".join(
        f'DROP FUNCTION IF EXISTS "{trigger_name(table, suffix)}"() CASCADE;' for table in tables
    )


def installed(cursor: object, table: str) -> bool:
    """Return whether ``table`` has its staleness triggers (PostgreSQL)."""
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s",
        [table, trigger_name(table) + "%"],
    )
    return bool(cursor.fetchone()[0])  # type: ignore[attr-defined]

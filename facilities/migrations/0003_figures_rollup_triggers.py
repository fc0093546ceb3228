"""Staleness triggers of the figures roll-up (D37) for the facility indicators (D49).

The profile and review tables mark the commune the facility stands in. The two stay tables
already mark the staying person's commune (reports 0004); a second set of triggers
(suffix ``_facility``) marks the commune of the facility stayed at, which FAC_OCCUPANCY
counts in. PostgreSQL only (the SQLite demo counts live).
"""

from django.db import migrations

from reports import rollup_triggers

SUFFIX = "_facility"
# This migration's own copy of the tables and the SQL that finds their communes.
TABLES = {
    "facilities_facilityprofile": 'SELECT t."commune_id" FROM {rows} t',
    "facilities_conditionreview": (
        'SELECT f."commune_id" FROM {rows} t'
        ' JOIN "facilities_facilityprofile" f ON f."id" = t."facility_id"'
    ),
}
STAYS = {
    "services_treatmentepisode": (
        'SELECT f."commune_id" FROM {rows} t'
        ' JOIN "facilities_facilityprofile" f ON f."organisation_id" = t."provider_id"'
    ),
    "services_shelterstay": (
        'SELECT f."commune_id" FROM {rows} t'
        ' JOIN "facilities_facilityprofile" f ON f."organisation_id" = t."shelter_id"'
    ),
}


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(rollup_triggers.forward(TABLES), params=None)
    schema_editor.execute(rollup_triggers.forward(STAYS, SUFFIX), params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(rollup_triggers.reverse(STAYS, SUFFIX), params=None)
    schema_editor.execute(rollup_triggers.reverse(TABLES), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0002_decree_116_checklist"),
        ("reports", "0004_figure_rollup"),
        ("services", "0009_opioid_substitution_service"),
    ]

    operations = [migrations.RunPython(install, remove)]

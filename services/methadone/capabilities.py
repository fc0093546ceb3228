"""Who may prescribe, record and correct methadone doses (which patients: cases.access).

The clinic's caseworkers (doctors, nurses) do the dosing work of their own clinic's
patients; only those whose staff profile holds the prescriber qualification
(``StaffProfile.may_prescribe``, granted with a second person's approval) prescribe and write
a one-day dose. Supervisors read prescriptions and doses through the case, and never write.
"""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role
from cases.capabilities import CONTENT_ROLES

CLINIC_ROLES = (Role.CASEWORKER,)

METHADONE_VIEW = declare(
    "methadone.view", roles=CONTENT_ROLES, label=_("See methadone prescriptions and doses")
)
PRESCRIPTION_RECORD = declare(
    "prescription.record",
    roles=CLINIC_ROLES,
    scope="change",
    qualification="may_prescribe",
    label=_("Prescribe methadone"),
)
DOSE_RECORD = declare(
    "dose.record", roles=CLINIC_ROLES, scope="change", label=_("Record a methadone dose")
)
DOSE_CORRECT = declare(
    "dose.correct", roles=CLINIC_ROLES, scope="change", label=_("Correct a methadone dose")
)

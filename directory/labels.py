"""English names of the organisation types the directory groups by, keyed by type code.

The types are data (``cases.OrganisationType``) with a Vietnamese name only; the English
page looks the code up here and falls back to the typed name for a type not listed (a
province's own), so a new type shows, in Vietnamese, until it is named here (D62).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TYPE_NAMES: dict[str, Promise] = {
    "rehab-public": _("Public drug rehabilitation facilities"),
    "rehab-private": _("Private drug rehabilitation facilities"),
    "methadone-clinic": _("Methadone treatment facilities"),
    "commune-committee": _("Commune People's Committees"),
    "social-affairs-office": _("Social affairs offices"),
    "nha-nhan-ai": _("Nhà Nhân ái (shelter and support houses)"),
    "vocational-school": _("Vocational training institutions"),
    "health-facility": _("Health facilities"),
    "legal-aid": _("Legal aid centres"),
    "police": _("Commune police"),
}

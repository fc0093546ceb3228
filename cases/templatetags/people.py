"""Template tags and filters for people's records.

``person_name`` and ``person_field`` are the only way a template shows who a person is
(name, other names, citizen ID, old ID, date of birth, phone, address, family contact):
both ask ``cases.access.identity_shown`` for the viewer of the page, so a viewer who sees
the person only through a referral that did not share "identity" (or a list that masks
them) gets the record number instead. ``tests/test_code_rules.py`` fails when a template
reads one of those fields directly.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cases import access

register = template.Library()

# The person's fields that say who they are: the "identity" part (docs/referrals.md).
IDENTIFYING_FIELDS = (
    "full_name",
    "aliases",
    "citizen_id",
    "old_id_number",
    "birth_date",
    "phone",
    "address",
    "family_contact",
)


def _viewer(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def _shown(context: template.Context, person: Any, masked: Any) -> bool:
    """Return whether the page's viewer may see who the person is (never without a viewer)."""
    if person is None or getattr(person, "pk", None) is None:
        return False
    if masked and person.pk in masked:
        return False
    viewer = _viewer(context)
    return viewer is not None and access.identity_shown(viewer, person)


@register.simple_tag(takes_context=True)
def person_name(
    context: template.Context, person: Any, masked: Any = None, tag: bool = False
) -> SafeString:
    """Render the person's full name for the page's viewer, or "Record <short id>".

    ``masked``: ids a list hides on top of the parts rule (victims, for a supervisor);
    ``tag``: add the "identity hidden" tag lists show next to a record number.
    """
    if _shown(context, person, masked):
        return format_html("{}", person.full_name)
    if person is None:
        return format_html("{}", "—")
    record = format_html("{} {}", _("Record"), person.short_id)
    if tag:
        return format_html('{} <span class="tag">{}</span>', record, _("identity hidden"))
    return record


@register.simple_tag(takes_context=True)
def person_field(context: template.Context, person: Any, name: str, masked: Any = None) -> Any:
    """Return one identifying field of the person for the page's viewer, or "" if hidden.

    Use ``{% person_field person "phone" as phone %}`` then ``{{ phone|default:"—" }}``.
    """
    if name not in IDENTIFYING_FIELDS:
        raise template.TemplateSyntaxError(f"person_field: {name!r} is not an identifying field")
    if not _shown(context, person, masked):
        return ""
    return getattr(person, name) or ""


@register.simple_tag(takes_context=True)
def identity_shown(context: template.Context, person: Any) -> bool:
    """Return whether the page's viewer may see who the person is (for a section's heading)."""
    return _shown(context, person, None)


@register.filter
def iso_date(value: str) -> datetime.date | str:
    """Turn a date kept as ISO text (an encrypted field) into a date the |date filter shows."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value

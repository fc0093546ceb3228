"""A calendar file (iCalendar, RFC 5545) of appointments with no identifying text (D46).

A phone's calendar syncs to servers outside this system, so an event says only "Lịch hẹn"
(an appointment), when, where, and a link whose only id is the appointment's: never the
person's name, citizen ID, the kind of appointment (a methadone review says drug use) or
the case's category.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from .models import Appointment

SUMMARY = "Lịch hẹn"
PRODUCT = "-//Hoa Nhap//Appointments//VI"


def _escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (§3.1)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        limit = 75 if not out else 74  # a continuation line starts with one space
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(appointment: Appointment, link: str, stamp: datetime.datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{appointment.pk}@hoa-nhap", f"DTSTAMP:{_utc(stamp)}"]
    if appointment.starts_at is None:  # a whole day
        day = appointment.starts_on
        lines.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}")
        lines.append(f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}")
    else:
        start = appointment.starts()
        end = start + datetime.timedelta(minutes=appointment.duration_minutes)
        lines += [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]
    lines += [
        f"SUMMARY:{SUMMARY}",
        f"LOCATION:{_escape(appointment.place)}",
        f"URL:{link}",
        "CLASS:PRIVATE",
        "END:VEVENT",
    ]
    return lines


def calendar_file(appointments: Iterable[tuple[Appointment, str]]) -> bytes:
    """Return the calendar of these (appointment, absolute link) pairs, CRLF lines."""
    stamp = timezone.now()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT}", "CALSCALE:GREGORIAN"]
    for appointment, link in appointments:
        lines += _event(appointment, link, stamp)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()

"""The audit actions of the programme records (one per change, D48)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import LIST, READ, register


class ProgrammeAction:
    COURSE_ADDED = register("course_added", _("Added a training course"))
    COURSE_CHANGED = register("course_changed", _("Changed a training course"))
    COURSE_READ = register("course_read", _("Viewed a course's attendees"), kind=READ)
    ATTENDEE_ADDED = register("attendee_added", _("Added an attendee to a course"))
    ATTENDEE_REMOVED = register("attendee_removed", _("Removed an attendee from a course"))
    VOLUNTEERS_LISTED = register("volunteers_listed", _("Listed volunteers"), kind=LIST)
    VOLUNTEER_ADDED = register("volunteer_added", _("Registered a volunteer"))
    VOLUNTEER_CHANGED = register("volunteer_changed", _("Changed a volunteer"))
    ACTIVITY_ADDED = register("activity_added", _("Added a communication activity"))
    ACTIVITY_CHANGED = register("activity_changed", _("Changed a communication activity"))
    PLANNED_ADDED = register("planned_activity_added", _("Added a planned activity"))
    PLANNED_CHANGED = register("planned_activity_changed", _("Changed a planned activity"))

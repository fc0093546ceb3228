"""The actions on people, cases and access that an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import ACCESS_CHANGE, DENIAL, LIST, LOOKUP, READ, register


class CaseAction:
    PERSON_READ = register("person_read", _("Viewed a person"), kind=READ)
    CASE_READ = register("case_read", _("Viewed a case"), kind=READ)
    # A read of any other record that hangs off a person or a case (object_type names it).
    RECORD_READ = register("record_read", _("Viewed a record"), kind=READ)
    SEARCH = register("search", _("Searched"), kind=LIST)
    # "Already registered": tells the user that this person's number is on file.
    DUPLICATE_CHECK = register(
        "duplicate_check", _("Entered a citizen ID number already on file"), kind=LOOKUP
    )
    CASE_LIST = register("case_list", _("Listed cases"), kind=LIST)
    PERSON_CREATED = register("person_created", _("Registered a person"))
    PERSON_CHANGED = register("person_changed", _("Changed a person"))
    CASE_OPENED = register("case_opened", _("Opened a case"))
    CASE_CHANGED = register("case_changed", _("Changed a case"))
    FAMILY_LINKED = register("family_linked", _("Linked a family member"))
    FAMILY_UNLINKED = register("family_unlinked", _("Removed a family link"))
    DENIED = register("denied", _("Access denied"), kind=DENIAL)
    EMERGENCY_ACCESS = register("emergency_access", _("Emergency access granted"))
    EMERGENCY_REVIEWED = register("emergency_reviewed", _("Emergency access reviewed"))
    ROLE_CHANGED = register("role_changed", _("Role or permission changed"), kind=ACCESS_CHANGE)
    ROLE_CHANGE_REQUESTED = register(
        "role_change_requested", _("Asked for a role change (needs a second person)")
    )
    ROLE_CHANGE_APPROVED = register(
        "role_change_approved", _("Approved a role change"), kind=ACCESS_CHANGE
    )
    ROLE_CHANGE_REJECTED = register("role_change_rejected", _("Rejected a role change"))
    # A data load moved a unit: who sees the people below it changed.
    UNIT_MOVED = register("unit_moved", _("Moved an administrative unit"), kind=ACCESS_CHANGE)
    # A new administrative map applied (reorganise_units): people, organisations and staff
    # scopes re-addressed in one batch (decision D43).
    UNITS_REORGANISED = register(
        "units_reorganised",
        _("Applied a new administrative map (people and staff scopes re-addressed)"),
        kind=ACCESS_CHANGE,
    )
    # The directory (units, organisations, organisation types), written by cases.directory.
    ORGANISATION_MOVED = register(
        "organisation_moved", _("Moved an organisation to another unit"), kind=ACCESS_CHANGE
    )
    DIRECTORY_CHANGED = register(
        "directory_changed", _("Changed a unit, an organisation or an organisation type")
    )
    DIRECTORY_CHANGE_REQUESTED = register(
        "directory_change_requested",
        _("Asked to move a unit or an organisation (needs a second person)"),
    )
    DIRECTORY_CHANGE_APPROVED = register(
        "directory_change_approved",
        _("Approved a move of a unit or an organisation"),
        kind=ACCESS_CHANGE,
    )
    DIRECTORY_CHANGE_REJECTED = register(
        "directory_change_rejected", _("Rejected a move of a unit or an organisation")
    )
    EMERGENCY_REVOKED = register("emergency_revoked", _("Emergency access revoked"))
    # The review queue shows who opened whose record (ids, no reasons); one review shows the
    # reason the user typed.
    EMERGENCY_QUEUE_READ = register(
        "emergency_queue_read", _("Viewed the emergency-access review queue"), kind=LIST
    )
    EMERGENCY_ACCESS_READ = register(
        "emergency_access_read", _("Viewed an emergency access and its reason"), kind=READ
    )
    PEOPLE_LIST = register("people_list", _("Listed people"), kind=LIST)
    # A person's change of residence handed over to the new commune (cases.moves, D50).
    MOVE_RECORDED = register("move_recorded", _("Recorded a move to another commune"))
    MOVE_ACCEPTED = register(
        "move_accepted",
        _("Accepted a person who moved in (the old commune now reads only)"),
        kind=ACCESS_CHANGE,
    )
    MOVE_ITEM_HANDED_OVER = register(
        "move_item_handed_over", _("Handed an open follow-up item to the new commune")
    )
    # The daily reminder of overdue work (``cases.overdue``): the count reminded, no names.
    OVERDUE_REMINDED = register("overdue_reminded", _("Reminded staff of their overdue work"))
    MOVE_QUEUE_READ = register("move_queue_read", _("Viewed the hand-over queue"), kind=LIST)
    MOVE_READ = register("move_read", _("Viewed a move"), kind=READ)

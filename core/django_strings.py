"""Name Django's own messages that its Vietnamese catalog leaves in English.

Nothing calls this module at run time; listing the strings here makes ``makemessages`` put
them into our catalog, whose translations take precedence over Django's (LOCALE_PATHS).
"""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = [
    gettext_noop("- Select an option -"),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("“%(value)s” is not a valid UUID."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Enter a complete value."),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    gettext_noop("Forbidden"),
    gettext_noop("CSRF verification failed. Request aborted."),
    gettext_noop("Messages"),
]

"""What an access event can record."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    PERSON_READ = "person_read", _("Viewed a person")
    CASE_READ = "case_read", _("Viewed a case")
    SEARCH = "search", _("Searched")
    CASE_LIST = "case_list", _("Listed cases")
    EXPORT = "export", _("Exported")
    PERSON_CREATED = "person_created", _("Registered a person")
    PERSON_CHANGED = "person_changed", _("Changed a person")
    CASE_OPENED = "case_opened", _("Opened a case")
    CASE_CHANGED = "case_changed", _("Changed a case")
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Failed login")
    OTP_FAILED = "otp_failed", _("Failed second-factor code")
    OTP_ENROLLED = "otp_enrolled", _("Enrolled a second factor")
    OTP_RESET = "otp_reset", _("Second factor reset")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    LOCKED_OUT = "locked_out", _("Account locked")
    UNLOCKED = "unlocked", _("Account unlocked")
    DENIED = "denied", _("Access denied")
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access granted")
    EMERGENCY_REVIEWED = "emergency_reviewed", _("Emergency access reviewed")
    ROLE_CHANGED = "role_changed", _("Role or permission changed")

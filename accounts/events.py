"""The sign-in and account actions an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import ACCOUNT_CREATION, CREDENTIAL_RESET, register


class AccountAction:
    ACCOUNT_CREATED = register("account_created", _("Created an account"), kind=ACCOUNT_CREATION)
    # A change to an account in the admin (the names of the fields, never their values).
    USER_CHANGED = register("user_changed", _("Changed an account"))
    USER_DELETED = register("user_deleted", _("Deleted an account"))
    LOGIN = register("login", _("Logged in"))
    LOGOUT = register("logout", _("Logged out"))
    LOGIN_FAILED = register("login_failed", _("Failed login"))
    # One per counting window: how many more refusals followed its first (accounts.lockout).
    LOGIN_FAILED_REPEATED = register("login_failed_repeated", _("Further failed logins (count)"))
    PASSWORD_ACCEPTED = register("password_accepted", _("Password accepted, second step pending"))
    OTP_FAILED = register("otp_failed", _("Failed second-factor code"))
    OTP_ENROLLED = register("otp_enrolled", _("Enrolled a second factor"))
    OTP_RESET = register("otp_reset", _("Second factor reset"), kind=CREDENTIAL_RESET)
    PASSWORD_CHANGED = register("password_changed", _("Password changed"), kind=CREDENTIAL_RESET)
    LOCKED_OUT = register("locked_out", _("Account locked"))
    UNLOCKED = register("unlocked", _("Account unlocked"))

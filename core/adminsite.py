"""The admin site: second factor required, one login page, a way back to the app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class HoaNhapAdminSite(OTPAdminSite):  # type: ignore[misc]
    site_header = _("Hòa Nhập administration")
    site_title = _("Hòa Nhập administration")
    index_title = _("Users, organisations and units")
    site_url = "/"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

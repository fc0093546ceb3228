"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from accounts.views import LoginView
from core import health_views, metrics_views
from core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    # For the load balancer, without signing in: ok or fail per check (decision D47).
    path("healthz", health_views.healthz, name="healthz"),
    # For Prometheus, with the bearer token HOA_NHAP_METRICS_TOKEN; 404 without it.
    path("metrics", metrics_views.metrics_page, name="metrics"),
    path("", include("cases.urls")),
    path("", include("services.urls")),
    path("account/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("services.methadone.urls")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # One way in: the admin's own login form would skip the lockout and the sign-in events.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
    path("referrals/", include("referrals.urls")),
    path("documents/", include("documents.urls")),
    path("appointments/", include("appointments.urls")),
    path("programme/", include("programme.urls")),
    path("figures/", include("reports.urls")),
    path("facilities/", include("facilities.urls")),
    path("registers/export/", include("registers.export_urls")),
    path("registers/", include("registers.urls")),
    # The REST API for other systems and signed-in users (docs/api.md, decision D53).
    path("api/v1/", include("api.urls")),
    path("api-clients/", include("api.client_urls")),
    # The public directory: no sign-in, nothing about any client (docs/directory.md, D56).
    path("directory/", include("directory.urls")),
]

# A database that cannot be reached, or a lock wait past DATABASE_LOCK_TIMEOUT_MS, answers 503.
handler500 = "core.views.server_error"

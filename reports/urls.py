"""The figures pages under /figures/."""

from django.urls import URLPattern, URLResolver, path

from . import export_views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("report/", export_views.report, name="report"),
]

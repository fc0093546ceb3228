"""The figures pages under /figures/."""

from django.urls import URLPattern, URLResolver

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = []

"""The figures pages under /figures/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.figures_dashboard, name="dashboard"),
    path("indicator/", views.indicator_page, name="indicator"),
    path("people/", views.people_page, name="people"),
]

"""The project's URLs plus the example app's pages (tests only, tests/settings.py)."""

from django.urls import include, path

from config.urls import handler500 as project_handler500
from config.urls import urlpatterns as project_urls

urlpatterns = [*project_urls, path("example/", include("tests.exampleapp.urls"))]
# Django reads the error handlers from the root URLconf: keep the project's.
handler500 = project_handler500

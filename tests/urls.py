"""The project's URLs plus the example app's pages (tests only, tests/settings.py)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urls

urlpatterns = [*project_urls, path("example/", include("tests.exampleapp.urls"))]

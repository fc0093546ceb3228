"""The test run's URLs plus one page that fails, to show the 500 page (tests only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tests.urls import urlpatterns as project_urls


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate failure for the error-page test")


urlpatterns = [*project_urls, path("boom/", boom)]

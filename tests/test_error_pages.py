"""403, 404 and 500 are branded pages with the menu, in Vietnamese (English when chosen);
the 404 of an out-of-scope person says that emergency access exists and links to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cases.models import Person
from tests.conftest import World


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _text(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_403_is_a_branded_page(world: World, language: str) -> None:
    client = world.client("an")  # the auditor: no case content
    if language == "en":
        _english(client)
    response = client.get(reverse("cases:case_list"))
    assert response.status_code == 403
    page = _text(response)
    with translation.override(language):
        assert gettext("You may not open this page") in page
    assert 'data-testid="error-403"' in page
    assert 'class="nav"' in page  # the menu is there: a way on
    assert reverse("audit:event_list") in page


def test_403_speaks_vietnamese_by_default(world: World) -> None:
    page = _text(world.client("an").get(reverse("cases:case_list")))
    assert '<html lang="vi">' in page
    with translation.override("vi"):
        assert gettext("Go to your start page") in page


def test_404_of_an_out_of_scope_person_offers_emergency_access(
    world: World, lan_person: Person
) -> None:
    response = world.client("tuan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 404
    page = _text(response)
    with translation.override("vi"):
        assert gettext("This record is not open to you") in page
    assert f'href="{reverse("cases:emergency_request")}"' in page.split("<main")[1]
    assert "Trần Thị Bình" not in page


def test_404_of_an_unknown_page_has_no_emergency_offer(world: World) -> None:
    response = _english(world.client("lan")).get("/no-such-page/")
    assert response.status_code == 404
    page = _text(response)
    assert "Page not found" in page
    assert f'href="{reverse("cases:emergency_request")}"' not in page.split("<main")[1]


def test_404_never_offers_emergency_access_to_an_auditor(world: World, lan_person: Person) -> None:
    response = world.client("an").get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 404
    assert f'href="{reverse("cases:emergency_request")}"' not in _text(response)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_500_is_a_branded_page(world: World, settings: Any, language: str) -> None:
    settings.ROOT_URLCONF = "tests.error_urls"
    client = world.client("lan")
    client.raise_request_exception = False
    if language == "en":
        _english(client)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = _text(response)
    assert 'data-testid="error-500"' in page
    with translation.override(language):
        assert gettext("Something went wrong on our side") in page
    assert "Traceback" not in page and "RuntimeError" not in page


def test_a_form_only_address_opened_as_a_page_says_so(world: World) -> None:
    """Reloading a re-rendered form, or switching its language, asks the POST-only address
    with GET: the answer keeps 405 and Allow, and is a page that says nothing changed."""
    response = world.client("lan").get(reverse("notifications:mark_all_read"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = _text(response)
    assert 'data-testid="error-405"' in page
    assert 'class="nav"' in page
    with translation.override("vi"):
        assert gettext("This address only receives a form") in page

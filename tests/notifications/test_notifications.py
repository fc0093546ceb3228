"""In-app notifications: one per recipient, no identifiers in e-mail, only your own, safe links.

Named actors from tests/conftest.py: lan (caseworker, clinic A) receives; tuan (clinic B) is
the outsider; minh sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from audit.models import Event
from cases.choices import ClientCategory
from notifications import verbs
from notifications.actions import mark_all_read, mark_read, notify, short_ref
from notifications.events import NotificationAction
from notifications.models import Notification
from tests.conftest import World, signed_in_client
from tests.factories import make_case, make_person

PING = verbs.register("test_ping", _("Test notification"))
LIST = reverse("notifications:list")
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def _send(world: World, to: str = "lan", text: str = "Referral #AB12CD34 waits") -> Notification:
    [sent] = notify(
        actor=world.users["minh"],
        recipients=[world.users[to]],
        verb=PING,
        text=text,
        url="/cases/",
    )
    return sent


def test_notify_creates_one_for_each_recipient(world: World) -> None:
    lan, tuan, minh = world.users["lan"], world.users["tuan"], world.users["minh"]
    sent = notify(actor=minh, recipients=[lan, tuan, lan], verb=PING, text="x", url="/cases/")
    assert sorted(n.recipient_id for n in sent) == sorted([lan.pk, tuan.pk])
    stored = Notification.objects.filter(verb=PING)
    assert stored.count() == 2
    assert {n.actor_id for n in stored} == {minh.pk}
    assert all(n.read_at is None for n in stored)


@pytest.mark.parametrize(
    ("verb", "text", "url"),
    [
        ("no_such_verb", "x", "/cases/"),  # a typo in a verb fails loudly
        (PING, "Call 0912 345 678", "/cases/"),  # a phone number
        (PING, "ID 001090000123", "/cases/"),  # a citizen ID number
        (PING, "Write to lan@example.org", "/cases/"),  # an e-mail address
        (PING, "", "/cases/"),
        (PING, "x" * 201, "/cases/"),
        (PING, "x", "https://evil.example/"),
        (PING, "x", "//evil.example/"),
        (PING, "x", "cases/"),
    ],
)
def test_notify_refuses_identifiers_and_off_site_links(
    world: World, verb: str, text: str, url: str
) -> None:
    with pytest.raises(ValueError):
        notify(actor=None, recipients=[world.users["lan"]], verb=verb, text=text, url=url)
    assert not Notification.objects.exists()


def test_the_email_holds_no_identifier(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any], settings: Any
) -> None:
    """Only the text (with a pseudonymous short id) and a link go out by e-mail."""
    settings.MAILERS = LOCMEM
    settings.SITE_URL = "https://hoanhap.example.gov.vn"
    lan, tuan = world.users["lan"], world.users["tuan"]
    lan.email, tuan.email = "lan@example.org", "tuan@example.org"
    lan.save(update_fields=["email"])  # the worker reads the address when it sends
    tuan.save(update_fields=["email"])
    person = make_person(
        full_name="Trần Thị Bí Mật",
        citizen_id="001190012345",
        phone="0987654321",
        address="Số 7 ngõ Kín",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    case = make_case(
        person=person, organisation=world.orgs["clinic_a"], category=ClientCategory.ADDICTION
    )
    text = f"A referral for {short_ref(person.pk)} waits for your answer"
    with django_capture_on_commit_callbacks(execute=True):
        notify(actor=None, recipients=[lan, tuan], verb=PING, text=text, url=f"/cases/{case.pk}/")
    assert sorted(m.to[0] for m in mail.outbox) == ["lan@example.org", "tuan@example.org"]
    for message in mail.outbox:
        assert len(message.to) == 1  # one e-mail per recipient: nobody sees the others
        assert text in message.body
        assert f"https://hoanhap.example.gov.vn/cases/{case.pk}/" in message.body
        for secret in ("Trần", "Bí Mật", "001190012345", "0987654321", "ngõ Kín", str(person.pk)):
            assert secret not in message.body and secret not in message.subject


def test_no_email_without_a_mail_backend_or_an_address(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any], settings: Any
) -> None:
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
    world.users["lan"].email = "lan@example.org"
    world.users["lan"].save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        _send(world)
    del settings.MAILERS  # no mail host configured: no mailer at all
    world.users["lan"].email = "lan@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        _send(world)
    settings.MAILERS = LOCMEM
    world.users["lan"].email = ""
    with django_capture_on_commit_callbacks(execute=True):
        _send(world)
    assert mail.outbox == []
    assert Notification.objects.count() == 3
    assert not Notification.objects.filter(email_due=True).exists()  # none owed either


def test_the_page_shows_only_your_own(world: World) -> None:
    _send(world, "lan", "For lan #AAAA1111")
    _send(world, "tuan", "For tuan #BBBB2222")
    page = world.client("lan").get(LIST).content.decode()
    assert "For lan #AAAA1111" in page
    assert "For tuan #BBBB2222" not in page


def test_the_page_lists_newest_first_fifty_a_page(world: World) -> None:
    for n in range(51):
        _send(world, text=f"Number {n:02d}")
    client = world.client("lan")
    first = client.get(LIST).content.decode()
    assert first.count('data-testid="notification"') == 50
    assert first.index("Number 50") < first.index("Number 49")
    assert "Number 00" not in first
    second = client.get(LIST, {"page": "2"}).content.decode()
    assert second.count('data-testid="notification"') == 1 and "Number 00" in second
    assert client.get(LIST, {"page": "x' OR 1=1"}).status_code == 200  # bad input: page 1


def test_another_users_notification_is_404_and_denied(world: World) -> None:
    """ASVS 8.2.2: tuan cannot open (and so mark read) lan's notification by its id."""
    theirs = _send(world, "lan")
    response = world.client("tuan").get(reverse("notifications:open", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert Event.objects.filter(
        action=NotificationAction.DENIED, actor=world.users["tuan"], object_id=str(theirs.pk)
    ).exists()
    with pytest.raises(Exception, match="No Notification|Http404|^$"):
        mark_read(user=world.users["tuan"], notification_id=theirs.pk)


def test_an_off_site_link_is_refused_and_logged(world: World) -> None:
    """ASVS 3.7.2: a notification never redirects to another site, even one stored around
    notify(); the refusal is recorded."""
    lan = world.users["lan"]
    client = world.client("lan")
    for target in (
        "https://evil.example/login",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
    ):
        planted = Notification.objects.create(recipient=lan, verb=PING, text="x", url=target)
        response = client.get(reverse("notifications:open", args=[planted.pk]))
        assert response.status_code == 302
        assert response["Location"] == LIST, target
        assert Event.objects.filter(
            action=NotificationAction.LINK_REFUSED, actor=lan, object_id=str(planted.pk)
        ).exists(), target


def test_opening_marks_read_and_goes_to_the_page(world: World) -> None:
    mine = _send(world, "lan")
    response = world.client("lan").get(reverse("notifications:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_read_and_mark_all_read(world: World) -> None:
    lan = world.users["lan"]
    first, second, third = (_send(world, "lan") for _ in range(3))
    others = _send(world, "tuan")
    assert mark_read(user=lan, notification_id=first.pk).read_at is not None
    assert mark_all_read(user=lan) == 2
    assert not Notification.objects.filter(recipient=lan, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None  # lan's "all" is only hers
    assert mark_all_read(user=lan) == 0


def test_mark_all_read_is_a_post_with_csrf(world: World) -> None:
    _send(world, "lan")
    client = signed_in_client(world.users["lan"])
    client.handler.enforce_csrf_checks = True
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    assert client.post(reverse("notifications:mark_all_read")).status_code == 403  # no token
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    page = client.get(LIST)
    token = page.context["csrf_token"]
    response = client.post(
        reverse("notifications:mark_all_read"), {"csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def _bell(client: Client) -> str:
    page = client.get(LIST).content.decode()
    start = page.index('data-testid="bell"')
    return page[start : page.index("</a>", start)]


def test_the_bell_shows_the_unread_count_with_one_count_query(world: World) -> None:
    client = world.client("lan")
    assert 'data-testid="bell-count"' not in _bell(client)
    for _n in range(3):
        _send(world, "lan")
    _send(world, "tuan")
    bell = _bell(client)
    assert 'data-testid="bell-count">3<' in bell
    assert "aria-label=" in bell and "3" in bell.split("aria-label=")[1].split('"')[1]
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cases:my_work"))
    counts = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0]


def test_no_bell_before_the_second_factor(world: World) -> None:
    client = signed_in_client(world.users["lan"], second_factor=False)
    page = client.get(reverse("accounts:otp_verify"))
    assert 'data-testid="bell"' not in page.content.decode()


def test_the_inbox_index_covers_the_bell() -> None:
    [index] = [i for i in Notification._meta.indexes if i.name == "notification_inbox"]
    assert index.fields == ["recipient", "read_at", "created_at"]

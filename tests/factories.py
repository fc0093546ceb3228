"""Factories for test data; encrypted fields are set as plaintext and encrypted on assignment."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from cases.choices import CaseStatus, ClientCategory, Sex
from cases.models import Case, Organisation, OrganisationType, Person


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Tổ chức thử {n}")
    type = factory.LazyFunction(lambda: OrganisationType.objects.get(code="methadone-clinic"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    full_name = "Nguyễn Văn Thử"
    sex = Sex.MALE
    birth_year = 1990
    citizen_id = factory.Sequence(lambda n: f"0100{90:02d}{n:06d}")
    phone = factory.Sequence(lambda n: f"0912{n:06d}")
    address = "Thôn Thử, xã Thử"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    category = ClientCategory.ADDICTION
    managed_record = True
    status = CaseStatus.OPEN
    opened_on = datetime.date(2026, 1, 15)
    notes = "Ghi chú thử"

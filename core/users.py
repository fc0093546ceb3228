"""The acting user's type in the apps below accounts (core, audit, calendar_days).

They stand below accounts (docs/architecture.md, "Layers between apps") and cannot name its
user model, so they take Django's abstract user or the anonymous user. The apps above take
``accounts.models.AnyUser`` (the project's user or the anonymous user), which is one of these.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser

AnyAbstractUser = AbstractUser | AnonymousUser

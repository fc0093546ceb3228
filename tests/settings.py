"""Settings for the test run: the project's settings plus the test-only example app."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS as _PROJECT_APPS

INSTALLED_APPS = [*_PROJECT_APPS, "tests.exampleapp.apps.ExampleAppConfig"]
ROOT_URLCONF = "tests.urls"

# Tasks run at once, in the test's own process and transaction, unless a test asks for the
# database backend and a real worker (tests/notifications/test_mail_worker.py).
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

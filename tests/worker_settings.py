"""Settings for a worker process a test starts: the test settings, tasks in the database and
a mailer that writes files into ``HOA_NHAP_TEST_MAIL_DIR`` (tests/mail_backends.py)."""

import os

from tests.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAILERS = {
    "default": {
        "BACKEND": "tests.mail_backends.FileMailer",
        "OPTIONS": {"file_path": os.environ["HOA_NHAP_TEST_MAIL_DIR"]},
    }
}

"""WSGI entry point (gunicorn: ``deploy/gunicorn.conf.py``, decision D51)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # A missing or bad setting stops the server at start with one line saying which, as
    # manage.py does, rather than a traceback in the journal (gunicorn exits: it preloads).
    sys.stderr.write(f"Hòa Nhập cannot start: {error}\n")
    sys.exit(4)

#!/usr/bin/env python
"""Run Django administrative tasks."""

import os
import sys


def main() -> None:
    """Run a management command, stopping with a plain message on bad configuration."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Hòa Nhập cannot start: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

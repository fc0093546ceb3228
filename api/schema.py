"""The OpenAPI document as committed in docs/api/openapi.json (one stable text)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.json"


def text() -> str:
    """Return the schema the code generates, as the committed file holds it."""
    from .views import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

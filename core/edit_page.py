"""The edit page's one submit step: save through an action, or show the version conflict.

Every edit view of a record with a version column posts the same way: on a valid form it
calls its action; a refused stale save (``EditConflict``) rebuilds the form with this user's
input and the other person's changes (``form_after_conflict``) and lists those changes on
the page; any other refusal (``ValidationError``) goes to the top of the form; a save says
so and the view redirects. ``edit_submit`` is that step, so a view only says which action,
which form to rebuild and where to go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict

from .editing import EditConflict, TheirChange, form_after_conflict


@dataclass(frozen=True)
class EditOutcome[F: forms.ModelForm]:  # type: ignore[type-arg]
    """What the page shows next: ``saved`` (redirect), else the form and the conflict."""

    form: F
    conflict: list[TheirChange] | None
    saved: bool


def edit_submit[F: forms.ModelForm](  # type: ignore[type-arg]
    request: HttpRequest,
    form: F,
    *,
    save: Callable[[F], object],
    rebuild: Callable[[QueryDict, Any], F],
    saved_message: str | Callable[[F], str],
) -> EditOutcome[F]:
    """Save a valid POSTed edit form through ``save(form)``, else keep the form to show.

    ``rebuild(data, current)`` makes the form again for the record as it is now (after a
    conflict). ``saved_message`` is the notice after a save (or made from the saved form).
    """
    if request.method != "POST" or not form.is_valid():
        return EditOutcome(form, None, saved=False)
    try:
        save(form)
    except EditConflict as error:
        merged, conflict = form_after_conflict(form, error, rebuild)
        return EditOutcome(merged, conflict, saved=False)
    except ValidationError as error:
        form.add_error(None, error)
        return EditOutcome(form, None, saved=False)
    text = saved_message(form) if callable(saved_message) else saved_message
    messages.success(request, text)
    return EditOutcome(form, None, saved=True)

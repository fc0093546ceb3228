"""Take in a person's exchange document from another instance (docs/exchange.md, D60).

``document_import`` checks, in order: the bytes are JSON; the signature is a trusted
source's over exactly these contents (``exchange.signing``); the document fits the schema
(``exchange.document``); it carries the person's identity; the commune it sends the person
to (the transfer's, else the residence) is a commune of the current map inside the importing
user's scope. Any refusal writes nothing but its event (``exchange_refused``, or for a
commune out of scope a ``denied`` event through ``cases.access.deny``).

Then, in one transaction, through the same forms and actions as the pages: the person is
registered (or updated, when the source's version is newer than the one last taken in), each
case opened (or updated) for the importing user's organisation, and each record kept as a
``ReceivedRecord``. Every history row and event it writes carries ``exchange:<source>`` as its
request id, and one ``exchange_imported`` event names the person and the document. A second
pull of the same versions changes nothing.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404

from accounts.models import User
from audit import actions as audit
from audit import context
from audit.editing import save_edit
from cases import access
from cases import actions as case_actions
from cases import capabilities as caps
from cases.choices import UnitLevel
from cases.forms import CaseForm, PersonForm
from cases.models import AdministrativeUnit, Case, Person
from core.editing import OVERRIDE

from . import signing
from .document import ExchangeCase as CaseDoc
from .document import PersonDocument
from .events import ExchangeAction
from .models import ExchangeLink, LinkKind, ReceivedRecord

MAX_BYTES = 5_000_000


class ExchangeRefusedError(Exception):
    """The document was refused; nothing was written but the refusal's event."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        detail: dict[str, Any] | None = None,
        recorded: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or {}
        self.recorded = recorded


@dataclass
class ImportResult:
    person_id: UUID | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False


class _DryRunError(Exception):
    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


def _refuse(actor: User, code: str, message: str, **detail: Any) -> ExchangeRefusedError:
    """Return the refusal; ``document_import`` records it once the transaction is undone."""
    return ExchangeRefusedError(code, message, detail=detail)


def _schema_problems(error: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()[:5]
    )


def document_read(*, actor: User, raw: bytes) -> PersonDocument:
    """Return the document if it is JSON, signed by a trusted source and fits the schema;
    else raise ``ExchangeRefusedError`` (not yet recorded)."""
    if len(raw) > MAX_BYTES:
        raise _refuse(actor, "too_large", f"The document is larger than {MAX_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(actor, "not_json", f"The document is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise _refuse(actor, "invalid", "The document is not a JSON object.")
    source = data.get("source")
    name = str(source.get("instance", ""))[:50] if isinstance(source, dict) else ""
    problem = signing.verify(data)
    if problem == "unknown_source":
        raise _refuse(
            actor,
            problem,
            f"The source {name!r} is not among this instance's trusted sources "
            "(HOA_NHAP_EXCHANGE_TRUSTED).",
            source=name,
        )
    if problem:
        raise _refuse(
            actor,
            problem,
            "The signature does not match the document: it was changed after the source "
            "signed it, or signed with another key. Nothing was taken in.",
            source=name,
        )
    try:
        return PersonDocument.model_validate(data)
    except pydantic.ValidationError as error:
        raise _refuse(
            actor,
            "invalid",
            f"The document does not fit the exchange schema: {_schema_problems(error)}",
            source=name,
        ) from error


def _target_commune(actor: User, document: PersonDocument) -> AdministrativeUnit:
    """Return the commune the document sends the person to, inside the actor's scope."""
    code = document.transfer.to_commune if document.transfer else document.person.residence_commune
    commune = AdministrativeUnit.objects.filter(
        code=code, level=UnitLevel.COMMUNE, is_active=True
    ).first()
    if commune is None:
        raise _refuse(
            actor,
            "unknown_unit",
            f"The commune {code} is not a commune of the current map here.",
            source=document.source.instance,
        )
    profile = access.profile_of(actor)
    in_scope = (
        profile is not None
        and access.can(actor, caps.PERSON_ADD)
        and commune.path.startswith(profile.scope_unit.path)
    )
    if not in_scope:
        access.deny(
            actor,
            "exchange_import",
            object_type="person",
            object_id=document.person.id,
            source=document.source.instance,
            commune=code,
        )
        raise ExchangeRefusedError(
            "out_of_scope",
            f"The document is for commune {code}, outside your scope: nothing was taken in.",
            recorded=True,
        )
    return commune


def _link(source: str, kind: str, source_id: UUID) -> ExchangeLink | None:
    return ExchangeLink.objects.filter(source=source, kind=kind, source_id=source_id).first()


def _form_problems(form: Any) -> str:
    return "; ".join(
        f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items()
    )


def _person_form(
    actor: User, document: PersonDocument, commune: AdministrativeUnit, person: Person | None
) -> PersonForm:
    identity = document.person.identity
    assert identity is not None  # noqa: S101  (refused before)
    data: dict[str, Any] = {
        **identity.model_dump(),
        "sex": document.person.sex,
        "birth_year": document.person.birth_year,
        "birth_year_estimated": "on" if document.person.birth_year_estimated else "",
        "ethnicity": document.person.ethnicity,
        "residence_commune": commune.pk,
    }
    if person is not None:
        data["version"] = person.version
    return PersonForm(data, instance=person, user=actor)


def _case_form(actor: User, doc: CaseDoc, person: Person, case: Case | None) -> CaseForm:
    profile = access.profile_of(actor)
    assert profile is not None  # noqa: S101  (checked with the scope)
    organisation = case.organisation_id if case is not None else profile.organisation_id
    # A case taken in before keeps its own status: closing and re-opening go through this
    # instance's closure workflow (cases.closure, D45), never a plain edit of the status.
    status, closed_on = (
        (doc.status, doc.closed_on) if case is None else (case.status, case.closed_on)
    )
    data: dict[str, Any] = {
        "category": doc.category,
        "managed_record": "on" if doc.managed_record else "",
        "status": status,
        "opened_on": doc.opened_on.isoformat(),
        "closed_on": closed_on.isoformat() if closed_on else "",
        "organisation": str(organisation),
        "assigned_to": (case.assigned_to_id or "") if case is not None else "",
        "notes": case.notes if case is not None else "",
        "confirm_second_case": "on",
    }
    if case is not None:
        data["version"] = case.version
        return CaseForm(data, instance=case, user=actor)
    return CaseForm(data, user=actor, person=person)


def _refused_form(actor: User, document: PersonDocument, what: str, form: Any) -> Exception:
    return _refuse(
        actor,
        "refused_by_rules",
        f"The {what} does not pass this instance's checks: {_form_problems(form)}",
        source=document.source.instance,
    )


def _records(doc: CaseDoc) -> list[tuple[str, Any, datetime.date]]:
    """Return the case's records with their kind and the date a timeline shows."""
    found: list[tuple[str, Any, datetime.date]] = []
    found += [("screening", s, s.screened_on) for s in doc.screenings]
    found += [("episode", e, e.started_on) for e in doc.episodes]
    found += [("service", s, s.delivered_on or s.due_on or doc.opened_on) for s in doc.services]
    found += [
        ("referral", r, r.closed_on or r.answered_on or r.sent_on or doc.opened_on)
        for r in doc.referrals
    ]
    return found


class _Import:
    """One document's writes; counts what it created, updated and left alone."""

    def __init__(self, actor: User, document: PersonDocument) -> None:
        self.actor, self.document = actor, document
        self.source = document.source.instance
        self.result = ImportResult()

    def _saved(self, instance: models.Model, kind: str, source_id: UUID, version: int) -> None:
        ExchangeLink.objects.update_or_create(
            source=self.source,
            kind=kind,
            source_id=source_id,
            defaults={
                "source_version": version,
                "local_id": instance.pk,
                "document_id": self.document.document_id,
            },
        )

    def person(self, commune: AdministrativeUnit) -> Person:
        doc = self.document.person
        link = _link(self.source, LinkKind.PERSON, doc.id)
        current: Person | None = None
        if link is not None:
            current = access.get_person_for_user(
                self.actor, link.local_id, "change", record_read=False
            )
            if link.source_version >= doc.version:
                self.result.unchanged += 1
                return current
        form = _person_form(self.actor, self.document, commune, current)
        if not form.is_valid():
            raise _refused_form(self.actor, self.document, "person", form)
        if current is None:
            try:
                person = case_actions.person_register(actor=self.actor, data=form.to_data())
            except ValidationError as error:
                raise _refuse(
                    self.actor,
                    "possible_duplicate",
                    "This person may already be registered here: "
                    f"{' '.join(error.messages)} Link the records by hand.",
                    source=self.source,
                ) from error
            self.result.created += 1
        else:
            person = case_actions.person_update(
                actor=self.actor, person=current, data=form.to_data(), if_version=OVERRIDE
            )
            self.result.updated += 1
        self._saved(person, LinkKind.PERSON, doc.id, doc.version)
        return person

    def case(self, person: Person, doc: CaseDoc) -> Case:
        link = _link(self.source, LinkKind.CASE, doc.id)
        current: Case | None = None
        if link is not None:
            current = access.get_case_for_user(
                self.actor, link.local_id, "change", record_read=False
            )
            if link.source_version >= doc.version:
                self.result.unchanged += 1
                return current
        form = _case_form(self.actor, doc, person, current)
        if not form.is_valid():
            raise _refused_form(self.actor, self.document, "case", form)
        if current is None:
            case = case_actions.case_open(actor=self.actor, person=person, data=form.to_data())
            self.result.created += 1
        else:
            case = case_actions.case_update(
                actor=self.actor, case=current, data=form.to_data(), if_version=OVERRIDE
            )
            self.result.updated += 1
        self._saved(case, LinkKind.CASE, doc.id, doc.version)
        return case

    def records(self, case: Case, doc: CaseDoc) -> None:
        for kind, record, on in _records(doc):
            current = ReceivedRecord.objects.filter(source=self.source, source_id=record.id).first()
            if current is not None and current.source_version >= record.version:
                self.result.unchanged += 1
                continue
            row = current or ReceivedRecord(
                case=case, recorded_by=self.actor, source=self.source, source_id=record.id
            )
            row.case = case
            row.kind = kind
            row.source_version = record.version
            row.on = on
            row.data = json.dumps(record.model_dump(mode="json"), ensure_ascii=False)
            save_edit(
                actor=self.actor,
                instance=row,
                action=ExchangeAction.RECORD_RECEIVED,
                if_version=OVERRIDE,
                detail={"source": self.source, "kind": kind},
            )
            if current is None:
                self.result.created += 1
            else:
                self.result.updated += 1


def document_import(*, actor: User, raw: bytes, dry_run: bool = False) -> ImportResult:
    """Take in a person's exchange document (see the module's docstring); with ``dry_run``
    check and count everything, then write nothing.

    Raises ``ExchangeRefusedError`` (its event recorded) when the document is refused.
    """
    try:
        return _document_import(actor=actor, raw=raw, dry_run=dry_run)
    except ExchangeRefusedError as refused:
        if not refused.recorded:
            audit.record(
                actor=actor,
                action=ExchangeAction.REFUSED,
                object_type="exchange_document",
                detail={"reason": refused.code, **refused.detail},
            )
        raise


def _document_import(*, actor: User, raw: bytes, dry_run: bool) -> ImportResult:
    document = document_read(actor=actor, raw=raw)
    if document.person.identity is None:
        raise _refuse(
            actor,
            "identity_withheld",
            "The document does not say who the person is (the source masked the identity): "
            "it cannot be taken in.",
            source=document.source.instance,
        )
    commune = _target_commune(actor, document)
    work = _Import(actor, document)
    # Every history row and event the import writes carries "exchange:<source>" where a
    # page's would carry the request's id: the history names the exchange and its source.
    named = replace(context.current(), request_id=f"exchange:{work.source}")
    try:
        with context.bound(named), transaction.atomic():
            person = work.person(commune)
            for case_doc in document.cases:
                case = work.case(person, case_doc)
                work.records(case, case_doc)
            work.result.person_id = person.pk
            if dry_run:
                work.result.dry_run = True
                raise _DryRunError(work.result)
            if work.result.created or work.result.updated:
                audit.record(
                    actor=actor,
                    action=ExchangeAction.IMPORTED,
                    obj=person,
                    detail={
                        "source": work.source,
                        "document": str(document.document_id),
                        "created": work.result.created,
                        "updated": work.result.updated,
                    },
                )
    except _DryRunError as done:
        return done.result
    except (Http404, PermissionDenied) as error:
        raise _refuse(
            actor,
            "not_yours",
            "A record this document updates is no longer in your scope: nothing was taken in.",
            source=work.source,
        ) from error
    return work.result

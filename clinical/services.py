"""Writes of the clinical pages: history entries and their corrections, and running a visit.

The one writer of `patients.MedicalHistory`: the chart, the visit and the Django admin all add
and correct entries through `history_entry_create` and `history_entry_correct` (written in
clinical.history_services, named here as the app's services). Every write leaves audit rows
(core.AuditEvent) with the changed fields before/after; a request writes them with a single
INSERT (`audit.batch`). Services name the acting user `by` (None for a system job).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from appointments.services import appointment_complete
from billing.models import MedicationCost, ProcedureFee
from clinical.access import may_run_visit
from clinical.allergy_check import allergy_checked
from clinical.models import VisitItem
from core import audit
from core.actors import acting_user
from patients.icd10 import Icd10Code
from patients.models import HistoryKind, MedicalHistory

VISIT_NOTE_FIELDS = ("concerns", "symptoms", "diagnosis", "notes")
_AUDITED_ATTENDANCE = ("started_at", "completed_at", *VISIT_NOTE_FIELDS)
_AUDITED_ITEM = (
    "kind",
    "medication",
    "procedure",
    "description",
    "quantity",
    "icd10",
    "allergy_alert",
    "override_reason",
)


# --- Running a visit ------------------------------------------------------------------------


def _require_runner(user: Any, appointment: Appointment) -> None:
    if not may_run_visit(user, appointment):
        raise PermissionDenied("Only the appointment's own doctor can run this visit.")


def _lock_visit(attendance: Attendance) -> tuple[Attendance, Appointment]:
    attendance = (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=attendance.pk)
    )
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor")
        .get(pk=attendance.appointment_id)
    )
    attendance.appointment = appointment
    return attendance, appointment


def _require_open(attendance: Attendance) -> None:
    if attendance.completed_at is not None:
        raise ValidationError("This visit is completed; its record can no longer change here.")
    if attendance.started_at is None:
        raise ValidationError("Start the visit first.")


@transaction.atomic
def visit_start(*, appointment: Appointment, by: Any) -> Attendance:
    """Start the visit of a checked-in appointment (sets Attendance.started_at).

    Starting an already started visit changes nothing, so a double click is harmless.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("doctor", "patient")
        .get(pk=appointment.pk)
    )
    _require_runner(by, appointment)
    attendance = Attendance.objects.select_for_update().filter(appointment=appointment).first()
    if appointment.status != AppointmentStatus.CHECKED_IN or attendance is None:
        raise ValidationError(
            "Only a checked-in appointment can start; this one is "
            f"{appointment.get_status_display().lower()}."
        )
    if attendance.started_at is not None:
        return attendance
    before = audit.snapshot(attendance, _AUDITED_ATTENDANCE)
    attendance.started_at = timezone.now()
    attendance.full_clean()
    attendance.save(update_fields=["started_at", "updated_at"])
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=attendance,
        patient=appointment.patient,
        changes=audit.diff(before, audit.snapshot(attendance, _AUDITED_ATTENDANCE)),
    )
    return attendance


def _apply_notes(attendance: Attendance, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(VISIT_NOTE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown visit fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(attendance, name, (value or "").strip())


@transaction.atomic
def visit_record(*, attendance: Attendance, data: Mapping[str, Any], by: Any) -> Attendance:
    """Save the concerns, symptoms, diagnosis and notes of a visit in progress."""
    attendance, appointment = _lock_visit(attendance)
    _require_runner(by, appointment)
    _require_open(attendance)
    before = audit.snapshot(attendance, _AUDITED_ATTENDANCE)
    _apply_notes(attendance, data)
    changes = audit.diff(before, audit.snapshot(attendance, _AUDITED_ATTENDANCE))
    if changes:
        attendance.full_clean()
        attendance.save()
        audit.audit_record(
            actor=by,
            action=audit.Action.UPDATE,
            obj=attendance,
            patient=attendance.patient,
            changes=changes,
        )
    return attendance


@transaction.atomic
def visit_item_add(
    *,
    attendance: Attendance,
    kind: str,
    by: Any,
    medication: MedicationCost | None = None,
    procedure: ProcedureFee | None = None,
    description: str = "",
    quantity: int = 1,
    icd10: Icd10Code | None = None,
    override_reason: str = "",
) -> VisitItem:
    """Note a medication given (from the price list, with a quantity), a surgery or procedure
    performed (from the procedure list, or described) or a condition found (described) during
    a visit in progress.

    A medication is checked against the patient's allergies as a prescription is: it raises
    AllergyConflict, naming the allergy, when it matches one and no `override_reason` is
    given; with one, the item keeps the allergy shown and the reason, and so does its audit
    row.
    """
    attendance, appointment = _lock_visit(attendance)
    _require_runner(by, appointment)
    _require_open(attendance)
    description = (description or "").strip()
    if kind == VisitItem.Kind.MEDICATION and medication is not None:
        description = medication.name
    elif kind == VisitItem.Kind.SURGERY and procedure is not None and not description:
        description = procedure.name
    elif kind == VisitItem.Kind.CONDITION and icd10 is not None and not description:
        description = icd10.title
    allergy_alert = ""
    if kind == VisitItem.Kind.MEDICATION and description:
        allergy_alert, override_reason = allergy_checked(
            patient=attendance.patient,
            drug=description,
            override_reason=override_reason,
            going_on="give it",
        )
    item = VisitItem(
        attendance=attendance,
        kind=kind,
        medication=medication,
        procedure=procedure,
        description=description,
        quantity=quantity,
        icd10=icd10,
        allergy_alert=allergy_alert,
        override_reason=override_reason if allergy_alert else "",
        added_by=acting_user(by),
    )
    # The alert and its reason come together from allergy_checked, and the database's CHECK
    # holds them together: full_clean spends no query on that constraint.
    item.full_clean(exclude=["allergy_alert"])
    item.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=item,
        patient=attendance.patient,
        changes=audit.created(item, _AUDITED_ITEM),
    )
    return item


@transaction.atomic
def visit_item_remove(*, item: VisitItem, by: Any) -> None:
    """Take back an item noted by mistake, while the visit is still open."""
    attendance, appointment = _lock_visit(item.attendance)
    _require_runner(by, appointment)
    _require_open(attendance)
    item = VisitItem.objects.get(pk=item.pk, attendance=attendance)
    changes = {
        name: {"before": value, "after": None}
        for name, value in audit.snapshot(item, _AUDITED_ITEM).items()
    }
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=item,
        patient=attendance.patient,
        changes=changes,
    )
    item.delete()


def _diagnoses(text: str) -> list[str]:
    """One condition per non-empty line of the diagnosis, in order, without repeats."""
    seen, lines = set(), []
    for line in text.splitlines():
        line = line.strip(" \t-•*").strip()[:255]
        if line and line.lower() not in seen:
            seen.add(line.lower())
            lines.append(line)
    return lines


@transaction.atomic
def visit_complete(
    *, attendance: Attendance, by: Any, data: Mapping[str, Any] | None = None
) -> Attendance:
    """Close a visit: move the appointment from checked in to completed (the allowed-moves
    table of appointments.services says whether it may), save the notes passed along, record
    each line of the diagnosis and each condition noted at the visit as a condition (unless the
    patient already has it active), and turn each medication given and surgery performed into
    a billable history entry linked to the attendance. Every audit row of the completion goes
    in one INSERT."""
    attendance, appointment = _lock_visit(attendance)
    _require_runner(by, appointment)
    _require_open(attendance)
    items = list(attendance.visit_items.select_related("medication", "procedure", "icd10"))
    with audit.batch():
        attendance.appointment = appointment_complete(appointment=appointment, by=by)
        _close_record(attendance, data or {}, by=by)
        _record_conditions(attendance, items, by=by)
        _record_items(attendance, items, by=by)
        prescription_lines_record(attendance=attendance, by=by)
    return attendance


def _close_record(attendance: Attendance, data: Mapping[str, Any], *, by: Any) -> None:
    """Save the last notes and the time the visit ended."""
    before = audit.snapshot(attendance, _AUDITED_ATTENDANCE)
    _apply_notes(attendance, data)
    attendance.completed_at = timezone.now()
    attendance.full_clean()
    attendance.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.UPDATE,
        obj=attendance,
        patient=attendance.patient,
        changes=audit.diff(before, audit.snapshot(attendance, _AUDITED_ATTENDANCE)),
    )


def _visit_day(attendance: Attendance) -> datetime.date:
    return timezone.localdate(attendance.started_at)


def _record_conditions(attendance: Attendance, items: list[VisitItem], *, by: Any) -> None:
    """Each diagnosis, then each condition noted (with its ICD-10-CM code when it has one),
    not already among the patient's active conditions (the same words, or the same code)
    becomes one."""
    active = MedicalHistory.objects.filter(
        patient=attendance.patient, kind=HistoryKind.CONDITION, ended_on__isnull=True
    ).values_list("description", "icd10_id")
    known = {description.strip().lower() for description, _ in active}
    known_codes = {code for _, code in active if code}
    noted = [item for item in items if item.kind == VisitItem.Kind.CONDITION]
    codes = {
        line.lower(): item.icd10
        for item in noted
        if item.icd10_id
        for line in _diagnoses(item.description)
    }
    for condition in _diagnoses("\n".join([attendance.diagnosis, *(i.description for i in noted)])):
        icd10 = codes.get(condition.lower())
        if condition.lower() in known or (icd10 is not None and icd10.pk in known_codes):
            continue
        history_entry_create(
            patient=attendance.patient,
            kind=HistoryKind.CONDITION,
            description=condition,
            recorded_on=_visit_day(attendance),
            attendance=attendance,
            is_billable=False,
            icd10=icd10,
            by=by,
        )


def _record_items(attendance: Attendance, items: list[VisitItem], *, by: Any) -> None:
    """Each medication given and surgery performed becomes a billable history entry; the
    drafts (conditions noted included) then leave the visit-item table."""
    for item in items:
        if item.kind == VisitItem.Kind.CONDITION:
            continue
        history_entry_create(
            patient=attendance.patient,
            kind=item.kind,
            description=item.description,
            medication=item.medication,
            procedure=item.procedure,
            quantity=item.quantity,
            recorded_on=_visit_day(attendance),
            attendance=attendance,
            is_billable=True,
            # Checked when it was given (visit_item_add): what it kept, not a second refusal.
            allergy_alert=item.allergy_alert,
            override_reason=item.override_reason,
            by=by,
        )
    VisitItem.objects.filter(pk__in=[item.pk for item in items]).delete()


# History entries, prescriptions and allergies: their own modules, named here as the app's
# services.
from clinical.allergy_check import AllergyConflict as AllergyConflict  # noqa: E402
from clinical.history_services import CORRECTABLE_FIELDS as CORRECTABLE_FIELDS  # noqa: E402
from clinical.history_services import HISTORY_FIELDS as HISTORY_FIELDS  # noqa: E402
from clinical.history_services import history_entry_correct as history_entry_correct  # noqa: E402
from clinical.history_services import history_entry_create as history_entry_create  # noqa: E402
from clinical.prescribing import allergy_record as allergy_record  # noqa: E402
from clinical.prescribing import prescription_create as prescription_create  # noqa: E402
from clinical.prescribing import (  # noqa: E402
    prescription_line_remove as prescription_line_remove,
)
from clinical.prescribing import (  # noqa: E402
    prescription_lines_record as prescription_lines_record,
)

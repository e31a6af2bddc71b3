"""Writes of prescribing: structured allergies, prescription lines checked against them, and
the lines' medication entries (billing) when the visit completes.

Re-exported by clinical.services, whose history service (`history_entry_create`) writes every
history entry here too: an allergy, and a line's medication entry, which bills once (the
line's one-to-one `history_entry`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from appointments.models import Attendance
from billing.models import MedicationCost
from clinical import drug_classes
from clinical import services as history
from clinical.allergy_check import AllergyConflict as AllergyConflict
from clinical.allergy_check import allergy_checked
from clinical.allergy_check import allergy_conflicts as allergy_conflicts
from clinical.allergy_check import allergy_text as allergy_text
from clinical.prescriptions import Prescription, PrescriptionLine
from core import audit
from core.actors import acting_user
from patients.models import HistoryKind, MedicalHistory, Patient

_AUDITED_LINE = (
    "drug_name",
    "medication",
    "dose",
    "dose_unit",
    "route",
    "frequency",
    "duration_days",
    "quantity",
    "instructions",
    "allergy_alert",
    "override_reason",
)


@transaction.atomic
def allergy_record(
    *,
    patient: Patient,
    substance: str,
    by: Any,
    reaction: str = "",
    severity: str = "",
    drug_class: str = "",
    recorded_on: datetime.date | None = None,
) -> MedicalHistory:
    """Record an allergy (substance, reaction, severity, and a drug class when known) through
    the one history service."""
    if drug_class and drug_class not in drug_classes.BY_KEY:
        raise ValidationError({"drug_class": "Unknown drug class."})
    return history.history_entry_create(
        patient=patient,
        kind=HistoryKind.ALLERGY,
        description=substance,
        reaction=reaction,
        severity=severity,
        drug_class=drug_class,
        recorded_on=recorded_on,
        is_billable=False,
        by=by,
    )


def _priced(drug: str) -> MedicationCost | None:
    """The price list's medication of that name (trimmed, case-blind, as the billing rule)."""
    return MedicationCost.objects.filter(name__iexact=drug, is_active=True).first()


def _prescription(attendance: Attendance, by: Any) -> Prescription:
    """The visit's prescription, numbered when it is first written (the visit is locked)."""
    prescription = Prescription.objects.filter(attendance=attendance).first()
    if prescription is None:
        prescription = Prescription(attendance=attendance, prescribed_by=acting_user(by))
        prescription.save()
        prescription.refresh_from_db(fields=["number"])
        audit.audit_record(
            actor=by,
            action=audit.Action.CREATE,
            obj=prescription,
            patient=attendance.patient,
            changes={"number": {"before": None, "after": prescription.label}},
        )
    return prescription


@transaction.atomic
def prescription_create(
    *,
    attendance: Attendance,
    drug: str,
    dose: Decimal | str,
    route: str,
    frequency: str,
    duration_days: int,
    quantity: int,
    by: Any,
    dose_unit: str = "mg",
    instructions: str = "",
    override_reason: str = "",
) -> PrescriptionLine:
    """Add a drug to the prescription of a visit in progress (the visit's own doctor or an
    administrator). `drug` is a name: priced when it is on the price list, else unpriced.

    Raises AllergyConflict, naming the allergy, when the drug matches one of the patient's
    allergies and no `override_reason` is given; with one, the line keeps the allergy shown and
    the reason, and so does its audit row."""
    attendance, appointment = history._lock_visit(attendance)
    history._require_runner(by, appointment)
    history._require_open(attendance)
    drug = " ".join((drug or "").split())
    if not drug:
        raise ValidationError({"drug": "Name the drug."})
    medication = _priced(drug)
    if medication is not None:
        drug = medication.name
    allergy_alert, override_reason = allergy_checked(
        patient=attendance.patient, drug=drug, override_reason=override_reason
    )
    line = PrescriptionLine(
        prescription=_prescription(attendance, by),
        drug_name=drug,
        medication=medication,
        dose=dose,
        dose_unit=dose_unit,
        route=route,
        frequency=frequency,
        duration_days=duration_days,
        quantity=quantity,
        instructions=(instructions or "").strip(),
        allergy_alert=allergy_alert,
        override_reason=override_reason,
        prescribed_by=acting_user(by),
    )
    line.full_clean()
    line.save()
    audit.audit_record(
        actor=by,
        action=audit.Action.CREATE,
        obj=line,
        patient=attendance.patient,
        changes=audit.created(line, _AUDITED_LINE),
    )
    return line


@transaction.atomic
def prescription_line_remove(*, line: PrescriptionLine, by: Any) -> None:
    """Take back a line written by mistake, while the visit is still open."""
    attendance, appointment = history._lock_visit(line.prescription.attendance)
    history._require_runner(by, appointment)
    history._require_open(attendance)
    line = PrescriptionLine.objects.get(pk=line.pk, prescription__attendance=attendance)
    audit.audit_record(
        actor=by,
        action=audit.Action.DELETE,
        obj=line,
        patient=attendance.patient,
        changes={
            name: {"before": value, "after": None}
            for name, value in audit.snapshot(line, _AUDITED_LINE).items()
        },
    )
    line.delete()


def prescription_lines_record(*, attendance: Attendance, by: Any) -> list[MedicalHistory]:
    """Each line of the visit's prescription not yet recorded becomes the visit's billable
    medication entry (the one history service), linked to its line. A line already recorded
    is left alone, and the link's unique index refuses a second entry for a line, so the
    prescription bills once however often this runs. Called by `visit_complete`, inside its
    transaction and with the visit locked."""
    lines = list(
        PrescriptionLine.objects.select_for_update(of=("self",))
        .filter(prescription__attendance=attendance, history_entry__isnull=True)
        .select_related("medication")
        .order_by("created_at", "id")
    )
    entries = []
    for line in lines:
        entry = history.history_entry_create(
            patient=attendance.patient,
            kind=HistoryKind.MEDICATION,
            description=line.drug_name,
            medication=line.medication,
            quantity=line.quantity,
            recorded_on=history._visit_day(attendance),
            attendance=attendance,
            is_billable=True,
            # Checked when it was prescribed (prescription_create): kept, not checked again.
            allergy_alert=line.allergy_alert,
            override_reason=line.override_reason,
            by=by,
        )
        line.history_entry = entry
        line.save(update_fields=["history_entry", "updated_at"])
        entries.append(entry)
    return entries

"""Prescribing at a visit: structured allergies, the allergy check and its typed override,
numbering, and billing once through the one history service."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from billing import services as billing
from billing.models import LineKind
from clinical import services
from clinical.drug_classes import matches
from clinical.models import Prescription, PrescriptionLine
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory
from tests.clinical.factories import checked_in_visit, today_at
from tests.concurrency import together
from tests.factories import MedicalHistoryFactory, PatientFactory

pytestmark = pytest.mark.django_db

AMOXICILLIN = {
    "drug": "Amoxicillin 500 mg capsules",
    "dose": Decimal("500"),
    "dose_unit": "mg",
    "route": "oral",
    "frequency": "tid",
    "duration_days": 7,
    "quantity": 21,
}


def prescribe(visit, by, **changes):
    return services.prescription_create(attendance=visit, by=by, **{**AMOXICILLIN, **changes})


@pytest.mark.parametrize(
    ("drug", "substance", "drug_class", "stopped"),
    [
        ("Amoxicillin 500 mg", "Penicillin", "", True),  # the substance names the class
        ("AMOXICILLINE 1 g", "amoxicillin", "", True),  # accent/case-blind, French spelling
        ("Ampicillin", "Beta-lactam antibiotic", "penicillins", True),  # the recorded class
        ("Ibuprofen 400 mg", "Aspirin", "nsaids", True),
        ("Naproxène", "NSAIDs", "", True),
        ("Co-trimoxazole", "Sulfa drugs", "", True),
        ("Paracetamol 500 mg", "Penicillin", "penicillins", False),
        ("Cefalexin", "Penicillin", "", False),  # another class
        ("Metformin", "Peanuts", "", False),
    ],
)
def test_it_matches_drugs_to_allergies_by_words_and_class(drug, substance, drug_class, stopped):
    assert matches(drug=drug, substance=substance, drug_class=drug_class) is stopped


def test_it_records_a_structured_allergy_through_the_history_service(doctor, patient):
    entry = services.allergy_record(
        patient=patient, substance=" Latex ", reaction="Rash", severity="moderate", by=doctor
    )
    entry.refresh_from_db()
    assert (entry.kind, entry.description, entry.reaction, entry.severity) == (
        HistoryKind.ALLERGY,
        "Latex",
        "Rash",
        "moderate",
    )
    assert entry.is_billable is False
    event = AuditEvent.objects.get(object_type="patients.medicalhistory", action="create")
    assert event.changes["severity"]["after"] == "moderate"


def test_the_database_refuses_a_reaction_on_a_condition_and_an_unknown_severity(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicalHistoryFactory(patient=patient, kind=HistoryKind.CONDITION, reaction="Rash")
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicalHistoryFactory(patient=patient, kind=HistoryKind.ALLERGY, severity="deadly")


def test_a_correction_keeps_the_earlier_severity(doctor, penicillin_allergy):
    services.history_entry_correct(
        entry=penicillin_allergy,
        data={"severity": "life_threatening"},
        reason="Anaphylaxis on record",
        by=doctor,
    )
    revision = penicillin_allergy.revisions.get()
    assert (revision.severity, revision.reaction) == ("severe", "Hives and facial swelling")
    penicillin_allergy.refresh_from_db()
    assert (penicillin_allergy.severity, penicillin_allergy.version) == ("life_threatening", 2)


def test_a_free_text_allergy_of_before_still_stops_its_drug(doctor, patient, visit):
    MedicalHistoryFactory(patient=patient, kind=HistoryKind.ALLERGY, description="penicillin")
    with pytest.raises(services.AllergyConflict):
        prescribe(visit, doctor)


def test_it_stops_a_drug_matching_an_allergy_naming_it(doctor, visit, penicillin_allergy):
    with pytest.raises(services.AllergyConflict) as stopped:
        prescribe(visit, doctor)
    assert stopped.value.allergies == [penicillin_allergy]
    assert "Penicillin (Hives and facial swelling; Severe)" in stopped.value.messages[0]
    assert not PrescriptionLine.objects.exists()
    assert not Prescription.objects.exists()


def test_an_override_needs_a_reason_kept_on_the_line_and_in_the_audit_log(
    doctor, visit, penicillin_allergy, amoxicillin
):
    with pytest.raises(services.AllergyConflict):
        prescribe(visit, doctor, override_reason="   ")
    line = prescribe(visit, doctor, override_reason="Tolerated amoxicillin in 2024; observed")
    line.refresh_from_db()
    assert line.override_reason == "Tolerated amoxicillin in 2024; observed"
    assert line.allergy_alert == "Penicillin (Hives and facial swelling; Severe)"
    event = AuditEvent.objects.get(object_type="clinical.prescriptionline", action="create")
    assert event.changes["override_reason"]["after"] == line.override_reason
    assert event.changes["allergy_alert"]["after"] == line.allergy_alert
    assert event.patient_id == visit.patient_id
    # The database itself keeps an alert from being stored without its reason.
    with pytest.raises(IntegrityError), transaction.atomic():
        PrescriptionLine.objects.filter(pk=line.pk).update(override_reason="")


def test_no_reason_is_kept_when_nothing_was_overridden(doctor, visit, amoxicillin):
    line = prescribe(visit, doctor, override_reason="just because")
    assert (line.allergy_alert, line.override_reason) == ("", "")


def test_a_drug_on_the_price_list_is_priced_and_one_off_it_is_unpriced(doctor, visit, amoxicillin):
    priced = prescribe(visit, doctor, drug="  amoxicillin 500 MG capsules ")
    unpriced = prescribe(visit, doctor, drug="Salbutamol inhaler", dose=Decimal("100"))
    assert (priced.medication, priced.drug_name) == (amoxicillin, amoxicillin.name)
    assert (unpriced.medication, unpriced.is_priced) == (None, False)


def test_one_prescription_per_visit_numbered_uniquely(doctor, patient, visit):
    prescribe(visit, doctor)
    prescribe(visit, doctor, drug="Paracetamol")
    other_visit = checked_in_visit(
        doctor=doctor.doctor, patient=PatientFactory(), start=today_at(11), started=True
    )
    prescribe(other_visit, doctor)
    first, second = Prescription.objects.order_by("number")
    assert first.lines.count() == 2 and second.lines.count() == 1
    assert second.number > first.number
    assert first.label == f"RX-{first.number:06d}"
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.filter(pk=second.pk).update(number=first.number)


def test_only_the_visits_doctor_prescribes_and_only_while_it_is_open(doctor, other_doctor, visit):
    with pytest.raises(PermissionDenied):
        prescribe(visit, other_doctor)
    services.visit_complete(attendance=visit, by=doctor)
    with pytest.raises(ValidationError):
        prescribe(visit, doctor)


def test_completing_bills_the_prescription_once(doctor, patient, visit, amoxicillin):
    prescribe(visit, doctor)
    prescribe(visit, doctor, drug="Salbutamol inhaler", quantity=1)
    services.visit_complete(attendance=visit, by=doctor)
    assert services.prescription_lines_record(attendance=visit, by=doctor) == []

    entries = MedicalHistory.objects.filter(patient=patient, kind=HistoryKind.MEDICATION)
    assert sorted((e.description, e.quantity, e.is_billable) for e in entries) == [
        ("Amoxicillin 500 mg capsules", 21, True),
        ("Salbutamol inhaler", 1, True),
    ]
    assert {e.attendance_id for e in entries} == {visit.pk}
    assert {line.history_entry_id for line in PrescriptionLine.objects.all()} == {
        e.pk for e in entries
    }
    invoice = billing.invoice_draft_for_patient(patient=patient, by=doctor)
    medication_lines = invoice.lines.filter(kind=LineKind.MEDICATION)
    amounts = sorted((line.description, line.amount) for line in medication_lines)
    assert ("Amoxicillin 500 mg capsules", Decimal("8.40")) in amounts  # 21 × 0.40
    assert len(amounts) == 2


def test_the_database_refuses_a_second_entry_for_a_line(doctor, patient, visit):
    prescribe(visit, doctor, drug="Paracetamol")
    services.visit_complete(attendance=visit, by=doctor)
    first = PrescriptionLine.objects.get()
    later = checked_in_visit(
        doctor=doctor.doctor, patient=patient, start=today_at(11), started=True
    )
    still_open = prescribe(later, doctor, drug="Ibuprofen")

    with pytest.raises(IntegrityError, match="duplicate key"), transaction.atomic():
        PrescriptionLine.objects.filter(pk=still_open.pk).update(history_entry=first.history_entry)


def test_a_completed_visits_prescription_is_fixed_for_every_login(doctor, patient, visit):
    """Printed, numbered and billed: the database refuses to change or delete its lines, for
    the application's own login (the tests run as it), not only through the services."""
    line = prescribe(visit, doctor, drug="Paracetamol", quantity=12)
    services.visit_complete(attendance=visit, by=doctor)
    line.refresh_from_db()
    rows = PrescriptionLine.objects.filter(pk=line.pk)

    for change in (
        lambda: rows.update(quantity=99),
        lambda: rows.update(history_entry=None),
        lambda: rows.delete(),
    ):
        with pytest.raises(IntegrityError, match="the prescription is fixed"), transaction.atomic():
            change()

    kept = PrescriptionLine.objects.get(pk=line.pk)
    assert (kept.quantity, kept.history_entry_id) == (12, line.history_entry_id)


def test_a_line_removed_while_open_is_not_billed(doctor, patient, visit):
    line = prescribe(visit, doctor, drug="Paracetamol")
    services.prescription_line_remove(line=line, by=doctor)
    services.visit_complete(attendance=visit, by=doctor)
    assert not MedicalHistory.objects.filter(patient=patient, kind=HistoryKind.MEDICATION)
    assert AuditEvent.objects.filter(object_type="clinical.prescriptionline", action="delete")


@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_bill_the_prescription_once(doctor):
    """Two requests complete the same visit at the same moment (a double click on two tabs):
    one completes, the other is told the visit is completed; one entry per line."""
    visit = checked_in_visit(doctor=doctor.doctor, patient=PatientFactory(), started=True)
    prescribe(visit, doctor)
    prescribe(visit, doctor, drug="Paracetamol")

    outcomes = together(
        [lambda: services.visit_complete(attendance=visit, by=doctor) for _ in range(2)]
    )

    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    entries = MedicalHistory.objects.filter(attendance=visit, kind=HistoryKind.MEDICATION)
    assert entries.count() == 2
    assert set(PrescriptionLine.objects.values_list("history_entry", flat=True)) == set(
        entries.values_list("pk", flat=True)
    )

"""DESIGN.md: imported history is billable and unbilled, so a patient's first invoice after an
import equals the total of the seed's `calculatepatientbill`, computed here from the CSV."""

from decimal import Decimal

import pytest

from billing import selectors, services
from imports.services import workbook_import
from patients.models import Patient
from tests.imports.helpers import SAMPLE_CSV, sample_rows

pytestmark = pytest.mark.django_db

NOTHING = {"", "none", "n/a", "-"}
SURGERY_FEE = MINIMUM = Decimal("50.00")


def seed_totals() -> dict[str, Decimal]:
    """The seed procedure per PatientID: medication costs by trimmed, case-blind name (0 when
    unlisted), 50 per surgery, no consultation fee (the workbook has none); 50 when 0."""
    prices = {
        r["Medication"].strip().lower(): Decimal(r["Cost_in$"])
        for r in sample_rows("Medication_Cost")
    }
    totals = {r["PatientID"]: Decimal("0.00") for r in sample_rows("Patient")}
    for row in sample_rows("MedicalHistory"):
        medication = row["Medication"].strip().lower()
        if medication not in NOTHING:
            totals[row["PatientID"]] += prices.get(medication, Decimal("0.00"))
        if row["Surgeries"].strip().lower() not in NOTHING:
            totals[row["PatientID"]] += SURGERY_FEE
    return {pid: total if total else MINIMUM for pid, total in totals.items()}


def test_it_bills_each_imported_patient_what_the_seed_procedure_did():
    workbook_import(path_or_file=SAMPLE_CSV)
    expected = seed_totals()

    previews = {
        row.patient.mrn: row.preview.total for row in selectors.ready_to_bill(limit=100).rows
    }
    drafts = {
        patient.mrn: services.invoice_draft_for_patient(patient=patient, by=None).total
        for patient in Patient.objects.filter(mrn__in=expected)
    }

    assert drafts == expected
    assert previews == {mrn: total for mrn, total in expected.items() if mrn in previews}
    assert len(previews) >= 30  # most sample patients have history or visits

"""Prescribing in a real browser: a doctor whose patient is allergic to penicillin prescribes
amoxicillin, is stopped with the allergy shown (nothing typed lost), types a reason, goes on,
prints the prescription (the PDF's text read back) and completes the visit, which bills the
drug once."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from billing import services as billing
from billing.models import LineKind
from clinical import services
from clinical.models import PrescriptionLine
from core import roles
from core.models import AuditEvent
from patients.models import HistoryKind
from tests.clinical.factories import checked_in_visit, today_at
from tests.e2e.second_factor import complete_sign_in, give_authenticator
from tests.factories import DoctorFactory, MedicationCostFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery"  # UserFactory's default
REASON = "Tolerated amoxicillin in 2024 without reaction; observe 30 minutes"


@pytest.fixture
def visit(transactional_db, role_groups):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    give_authenticator(user)
    doctor = DoctorFactory(user=user, first_name="Gregory", last_name="House")
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0001815")
    MedicationCostFactory(name="Amoxicillin 500 mg capsules", unit_cost=Decimal("0.40"))
    MedicationCostFactory(name="Paracetamol 500 mg tablets", unit_cost=Decimal("0.10"))
    services.allergy_record(
        patient=patient,
        substance="Penicillin",
        reaction="Hives",
        severity="severe",
        drug_class="penicillins",
        by=user,
    )
    return checked_in_visit(doctor=doctor, patient=patient, start=today_at(9), started=True)


def field(page: Page, label: str):
    label = re.compile(rf"^\s*{re.escape(label)}\W*$")
    return page.get_by_label(label).and_(page.locator("input, select, textarea"))


def sign_in_and_open(page: Page, visit) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill("doctor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    complete_sign_in(page, "doctor")
    page.goto(f"/clinical/visits/{visit.pk}/")


def test_a_penicillin_allergy_stops_amoxicillin_until_a_reason_is_typed(
    page: Page, visit, axe, console_errors
):
    sign_in_and_open(page, visit)
    header = page.get_by_test_id("allergies")
    expect(header).to_contain_text("Allergies (1)")
    expect(header).to_contain_text("Penicillin — Hives, Severe")
    axe("visit page with an allergy in the header and the prescription form")

    rx = page.get_by_test_id("prescription")
    field(page, "Concerns (in the patient's words)").fill("Sore throat, fever")
    field(page, "Drug").fill("Amoxicillin 500 mg capsules")
    field(page, "Dose").fill("500")
    field(page, "Frequency").select_option(label="Three times a day")
    field(page, "Days").fill("7")
    field(page, "Quantity to dispense").fill("21")
    field(page, "Instructions").fill("After meals")
    rx.get_by_role("button", name="Add to prescription").click()

    alert = rx.get_by_role("alert")
    expect(alert).to_contain_text("Allergy: check before prescribing Amoxicillin 500 mg capsules")
    expect(alert).to_contain_text("Penicillin, reaction: Hives, severity: severe (Penicillins)")
    # Nothing typed is lost: the drug's fields and the notes outside the section.
    expect(field(page, "Drug")).to_have_value("Amoxicillin 500 mg capsules")
    expect(field(page, "Quantity to dispense")).to_have_value("21")
    expect(field(page, "Instructions")).to_have_value("After meals")
    expect(field(page, "Concerns (in the patient's words)")).to_have_value("Sore throat, fever")
    assert not PrescriptionLine.objects.exists()
    axe("prescription stopped by an allergy, asking for a reason")

    # Going on without a reason is stopped again.
    rx.get_by_role("button", name="Prescribe despite the allergy").click()
    expect(rx.get_by_role("alert")).to_contain_text("Type the reason to go on")
    expect(field(page, "Drug")).to_have_value("Amoxicillin 500 mg capsules")
    assert not PrescriptionLine.objects.exists()

    field(page, "Reason to prescribe it despite the allergy").fill(REASON)
    rx.get_by_role("button", name="Prescribe despite the allergy").click()
    expect(rx.get_by_test_id("rx-notice")).to_contain_text(
        "Prescribed: Amoxicillin 500 mg capsules."
    )
    lines = rx.get_by_test_id("rx-lines")
    expect(lines).to_contain_text("Amoxicillin 500 mg capsules")
    expect(lines).to_contain_text(f"Allergy overridden (Penicillin (Hives; Severe)): {REASON}")
    expect(field(page, "Drug")).to_have_value("")
    expect(field(page, "Concerns (in the patient's words)")).to_have_value("Sore throat, fever")
    axe("prescription with an overridden allergy")

    line = PrescriptionLine.objects.get()
    assert line.override_reason == REASON
    assert AuditEvent.objects.filter(
        object_type="clinical.prescriptionline", changes__override_reason__after=REASON
    ).exists()

    with page.expect_download() as download_info:
        rx.get_by_test_id("rx-print").click()
    download = download_info.value
    label = line.prescription.label
    assert download.suggested_filename == f"{label}.pdf"
    reader = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for expected in (label, "Ada Lovelace", "MRN P0001815", "Dr Gregory House", "Amoxicillin"):
        assert expected in text, expected

    page.get_by_role("button", name="Complete visit").click()
    expect(page.get_by_role("alert")).to_contain_text("Visit of Ada Lovelace completed")

    patient = visit.patient
    entries = patient.history.filter(kind=HistoryKind.MEDICATION)
    assert [(e.description, e.quantity, e.is_billable) for e in entries] == [
        ("Amoxicillin 500 mg capsules", 21, True)
    ]
    invoice = billing.invoice_draft_for_patient(patient=patient, by=None)
    billed = invoice.lines.filter(kind=LineKind.MEDICATION)
    assert [(b.description, b.amount) for b in billed] == [
        ("Amoxicillin 500 mg capsules", Decimal("8.40"))
    ]
    assert console_errors == []


def test_a_medication_given_at_the_visit_is_stopped_by_the_same_allergy(
    page: Page, visit, axe, console_errors
):
    sign_in_and_open(page, visit)
    given = page.get_by_test_id("visit-section-medication")
    field(page, "Concerns (in the patient's words)").fill("Sore throat, fever")
    field(page, "Drug").fill("Paracetamol 500 mg tablets")  # typed in the prescription
    given.get_by_role("combobox", name=re.compile(r"^Medication")).select_option(
        label="Amoxicillin 500 mg capsules"
    )
    given.get_by_role("spinbutton", name=re.compile(r"^Quantity")).fill("2")
    given.get_by_role("button", name="Add medication").click()

    alert = given.get_by_role("alert")
    expect(alert).to_contain_text("Allergy: check before giving Amoxicillin 500 mg capsules")
    expect(alert).to_contain_text("Penicillin, reaction: Hives, severity: severe (Penicillins)")
    expect(given.get_by_role("spinbutton", name=re.compile(r"^Quantity"))).to_have_value("2")
    expect(field(page, "Concerns (in the patient's words)")).to_have_value("Sore throat, fever")
    expect(field(page, "Drug")).to_have_value("Paracetamol 500 mg tablets")
    assert not visit.visit_items.exists()
    axe("medication given stopped by an allergy, asking for a reason")

    field(page, "Reason to give it despite the allergy").fill(REASON)
    given.get_by_role("button", name="Give despite the allergy").click()
    expect(given.get_by_role("status")).to_contain_text("Added: Amoxicillin 500 mg capsules × 2")
    expect(given.get_by_test_id("visit-items")).to_contain_text(
        f"Allergy overridden (Penicillin (Hives; Severe)): {REASON}"
    )
    expect(given.get_by_role("button", name="Add medication")).to_be_visible()
    expect(field(page, "Concerns (in the patient's words)")).to_have_value("Sore throat, fever")
    expect(field(page, "Drug")).to_have_value("Paracetamol 500 mg tablets")
    axe("medication given with an overridden allergy")

    item = visit.visit_items.get()
    assert (item.quantity, item.override_reason) == (2, REASON)
    assert console_errors == []

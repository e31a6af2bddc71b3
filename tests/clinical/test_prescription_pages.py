"""The visit page's prescription section, the allergy alert and its override, the printed
prescription, and the allergies in the header of every clinical page."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing.models import BillingSettings
from clinical import services
from clinical.models import PrescriptionLine
from core.models import AuditEvent
from tests.factories import MedicalHistoryFactory, MedicationCostFactory

pytestmark = pytest.mark.django_db

TYPED = {
    "rx-drug": "Amoxicillin 500 mg capsules",
    "rx-dose": "500",
    "rx-dose_unit": "mg",
    "rx-route": "oral",
    "rx-frequency": "tid",
    "rx-duration_days": "7",
    "rx-quantity": "21",
    "rx-instructions": "After meals",
    "concerns": "Sore throat",  # the notes travel with every button of the page
}


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def allergic(doctor, patient):
    return services.allergy_record(
        patient=patient,
        substance="Penicillin",
        reaction="Anaphylaxis",
        severity="life_threatening",
        drug_class="penicillins",
        by=doctor,
    )


def add(client, visit, data, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    url = reverse("clinical:prescription_add", args=[visit.pk])
    return client.post(url, data, **headers)


def test_a_matching_allergy_stops_the_form_with_everything_typed_kept(
    login, doctor, visit, allergic
):
    response = add(login(doctor), visit, TYPED)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="rx-allergy-alert"' in html
    assert "<strong>Penicillin</strong>, reaction: Anaphylaxis, severity: life-threatening" in html
    assert "Reason to prescribe it despite the allergy" in html
    for value in ('value="Amoxicillin 500 mg capsules"', 'value="500"', 'value="21"'):
        assert value in html
    assert "After meals" in html
    assert not PrescriptionLine.objects.exists()


def test_the_doctor_goes_on_by_typing_a_reason(login, doctor, visit, allergic):
    data = {
        **TYPED,
        "rx-override_for": TYPED["rx-drug"],
        "rx-override_reason": "Desensitised in 2025",
    }
    response = add(login(doctor), visit, data)
    assert "Prescribed: Amoxicillin 500 mg capsules (not on the price list: unpriced)" in (
        response.content.decode()
    )
    line = PrescriptionLine.objects.get()
    assert line.override_reason == "Desensitised in 2025"
    assert AuditEvent.objects.filter(
        object_type="clinical.prescriptionline",
        changes__override_reason__after=line.override_reason,
    ).exists()


def test_a_reason_typed_for_one_drug_does_not_let_another_through(login, doctor, visit, allergic):
    data = {
        **TYPED,
        "rx-drug": "Ampicillin",
        "rx-override_for": "Amoxicillin 500 mg capsules",
        "rx-override_reason": "Desensitised",
    }
    response = add(login(doctor), visit, data)
    assert 'data-testid="rx-allergy-alert"' in response.content.decode()
    assert not PrescriptionLine.objects.exists()


def test_without_javascript_the_whole_page_comes_back_with_the_notes_typed(
    login, doctor, visit, allergic
):
    response = add(login(doctor), visit, TYPED, htmx=False)
    html = response.content.decode()
    assert 'data-testid="rx-allergy-alert"' in html
    assert "Sore throat" in html
    assert 'id="visit-notes"' in html


def test_completing_with_a_drug_typed_and_not_added_is_stopped(login, doctor, visit):
    url = reverse("clinical:visit_complete", args=[visit.pk])
    response = login(doctor).post(url, TYPED)
    assert response.status_code == 200
    assert "Not added yet: press “Add to prescription”" in response.content.decode()
    visit.refresh_from_db()
    assert visit.completed_at is None


def test_a_drug_from_the_price_list_is_suggested(login, doctor, visit):
    MedicationCostFactory(name="Amoxicillin 500 mg capsules")
    html = login(doctor).get(reverse("clinical:visit_record", args=[visit.pk])).content.decode()
    assert '<datalist id="rx-drugs"><option value="Amoxicillin 500 mg capsules">' in html


def test_the_pdf_prints_the_hospital_doctor_patient_and_each_drug(
    login, doctor, other_doctor, patient, visit
):
    settings = BillingSettings.load()
    settings.hospital_name = "St. Aurelia General Hospital"
    settings.hospital_address = "12 Harbour Road\nPort Elms"
    settings.save()
    patient.mrn, patient.date_of_birth = "P0004242", "1961-03-09"
    patient.save()
    for drug, dose in (("Paracetamol", Decimal("1000")), ("Ibuprofen", Decimal("400"))):
        services.prescription_create(
            attendance=visit,
            drug=drug,
            dose=dose,
            route="oral",
            frequency="qid",
            duration_days=5,
            quantity=20,
            instructions="With food",
            by=doctor,
        )
    response = login(other_doctor).get(reverse("clinical:prescription_pdf", args=[visit.pk]))
    assert response["Content-Type"] == "application/pdf"
    label = visit.prescription.label
    assert f'filename="{label}.pdf"' in response["Content-Disposition"]
    text = text_of(response.content)
    name = f"Dr {doctor.doctor.first_name} {doctor.doctor.last_name}"
    for expected in (
        "St. Aurelia General Hospital",
        "12 Harbour Road",
        "PRESCRIPTION",
        label,
        "Ada Lovelace",
        "MRN P0004242",
        "9 Mar 1961",
        name,
        f"Signature: {name}",
        "Paracetamol",
        "1000 mg",
        "Ibuprofen",
        "400 mg",
        "Four times a day",
        "With food",
    ):
        assert expected in text, expected
    assert AuditEvent.objects.filter(
        action="view", object_type="clinical.prescription", patient=patient
    ).exists()


def test_there_is_no_pdf_before_anything_is_prescribed(login, doctor, visit):
    response = login(doctor).get(reverse("clinical:prescription_pdf", args=[visit.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["chart", "visit", "history_form"])
def test_every_clinical_page_shows_the_allergies(login, doctor, patient, visit, allergic, page):
    MedicalHistoryFactory(patient=patient, kind="allergy", description="Latex")  # free text
    url = {
        "chart": reverse("clinical:chart", args=[patient.pk]),
        "visit": reverse("clinical:visit_record", args=[visit.pk]),
        "history_form": reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition",
    }[page]
    html = login(doctor).get(url).content.decode()
    header = html[html.index('data-testid="allergies"') :]
    header = re.sub(r"\s+", " ", header[: header.index("</section>")])
    assert "Allergies (2)" in header
    assert "<strong>Latex</strong>" in header
    assert "<strong>Penicillin</strong> — Anaphylaxis, " in header
    assert "Life-threatening" in header


def test_a_patient_without_allergies_reads_no_known_allergies(login, doctor, patient):
    html = login(doctor).get(reverse("clinical:chart", args=[patient.pk])).content.decode()
    assert "No known allergies" in html


def test_the_history_form_records_a_structured_allergy(login, doctor, patient):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=allergy"
    response = login(doctor).post(
        url,
        {
            "description": "Co-trimoxazole",
            "reaction": "Rash",
            "severity": "moderate",
            "drug_class": "sulfonamides",
            "recorded_on": "2024-01-01",
        },
    )
    assert response.status_code == 302
    entry = patient.history.get(kind="allergy")
    assert (entry.description, entry.reaction, entry.severity, entry.drug_class) == (
        "Co-trimoxazole",
        "Rash",
        "moderate",
        "sulfonamides",
    )


def test_the_charts_allergy_table_shows_reaction_severity_and_class(
    login, doctor, patient, allergic
):
    html = login(doctor).get(reverse("clinical:chart", args=[patient.pk])).content.decode()
    assert "Anaphylaxis · Life-threatening · Penicillins" in html


@pytest.mark.parametrize("role", ["front_desk", "billing_clerk"])
def test_the_desk_and_billing_clerks_can_neither_prescribe_nor_print(
    login, request, doctor, visit, role
):
    services.prescription_create(
        attendance=visit,
        drug="Paracetamol",
        dose=Decimal("500"),
        route="oral",
        frequency="qid",
        duration_days=3,
        quantity=12,
        by=doctor,
    )
    client = login(request.getfixturevalue(role))
    assert add(client, visit, TYPED).status_code == 403
    pdf = client.get(reverse("clinical:prescription_pdf", args=[visit.pk]))
    assert pdf.status_code == 403
    assert PrescriptionLine.objects.count() == 1

"""Issue #15's smaller items in a real browser: the patient's page on a phone (390 px) has no
sideways scrolling; an invoice is issued through its confirmation, which shows the total with
tax formatted in the hospital's currency; a likely duplicate is shown above the registration
form, focused, with what was typed kept (and an age instead of a date of birth)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Invoice, InvoiceStatus
from core import roles
from patients.ages import estimated_birth_date
from patients.models import Patient
from tests.billing.factories import settings, surgery, visit
from tests.e2e.test_login_journey import PASSWORD, log_in
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    PatientFactory,
    ProcedureFeeFactory,
    SpecialtyFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
NBSP = "\u00a0"


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_patient_page_fits_a_phone_without_sideways_scrolling(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    patient = PatientFactory(
        first_name="Maximiliana-Josefina",
        last_name="Oyelaran-Vandenberghe",
        mrn="P0003901",
        address_line1="1234 Extraordinarily Long Boulevard Name, Building C, Floor 17",
        emergency_contact_name="Bartholomew Featherstonehaugh-Cholmondeley",
        emergency_contact_relationship="brother-in-law",
        emergency_contact_phone="+44 20 7946 0999",
        email="maximiliana.josefina.oyelaran.vandenberghe@example-hospital-mail.org",
    )
    specialty = SpecialtyFactory(name="Paediatric Gastroenterology and Hepatology")
    doctor = DoctorFactory(
        first_name="Konstantinos", last_name="Papadopoulos-Alexandridis", specialty=specialty
    )
    today = timezone.localdate()
    for days in (3, 10, -20, -40):
        start = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(9))
        )
        AppointmentFactory(
            patient=patient,
            doctor=doctor,
            start=start,
            end=start + datetime.timedelta(minutes=30),
            reason="Recurring abdominal pain after meals, follow-up of the ultrasound findings",
            status="scheduled" if days > 0 else "completed",
        )

    page.set_viewport_size(PHONE)
    log_in(page, "frontdesk", PASSWORD)
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator("h1")).to_have_text("Maximiliana-Josefina Oyelaran-Vandenberghe")
    expect(page.get_by_role("heading", name="Upcoming appointments")).to_be_visible()

    scroll_width, inner_width = page_width(page)
    assert scroll_width <= inner_width, f"the page is {scroll_width} px wide at {inner_width}"
    # Every action button is on the screen (they wrap rather than run off its edge).
    for name in ("Book an appointment", "Edit details", "Deactivate"):
        box = page.get_by_role("link", name=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner_width, name
    axe("patient page on a phone")
    assert console_errors == []


def test_it_issues_an_invoice_through_its_confirmation_with_the_formatted_total(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    UserFactory(username="billing", role=roles.BILLING_CLERK)
    settings(currency="USD", tax_rate=Decimal("0.0750"))
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="P0001815")
    ProcedureFeeFactory(name="Hip replacement", fee=Decimal("101880.00"))
    surgery(patient, "Hip replacement")
    visit(patient, fee="80.00")
    # 101,960.00 + 7.5 % tax (7,647.00) = 109,607.00

    log_in(page, "billing", PASSWORD)
    page.goto(f"/billing/patients/{patient.pk}/")
    expect(page.get_by_test_id("preview-total")).to_have_text(f"USD{NBSP}109,607.00")
    page.get_by_role("button", name="Draft invoice").click()
    draft = Invoice.objects.get(patient=patient)
    expect(page.get_by_role("alert")).to_have_text(
        f"Draft invoice #{draft.pk} created for Ada Lovelace: check its lines, then issue it."
    )

    page.get_by_role("link", name="Issue invoice…").click()
    expect(page.locator("h1")).to_have_text("Issue this invoice?")
    expect(page.get_by_test_id("confirm-invoice")).to_contain_text(f"Draft invoice #{draft.pk}")
    expect(page.get_by_test_id("confirm-patient")).to_contain_text("Ada Lovelace · MRN P0001815")
    expect(page.get_by_test_id("confirm-lines")).to_have_text("2 lines")
    expect(page.get_by_test_id("confirm-total")).to_have_text(f"USD{NBSP}109,607.00")
    expect(page.get_by_test_id("cannot-undo")).to_contain_text("cannot be undone")
    axe("invoice issue confirmation")
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT  # looking at the confirmation issues nothing

    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"Invoice INV-\d{4}-000001"))
    expect(page.get_by_role("alert")).to_contain_text(f"for USD{NBSP}109,607.00")
    expect(page.get_by_test_id("total")).to_have_text(f"USD{NBSP}109,607.00")
    expect(page.get_by_test_id("balance")).to_have_text(f"USD{NBSP}109,607.00")
    expect(page.get_by_text("PDF SHA-256")).to_have_count(0)
    axe("issued invoice, as a clerk sees it")
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED and draft.total == Decimal("109607.00")
    assert console_errors == []


def test_a_likely_duplicate_is_shown_first_and_focused_with_the_typed_details_kept(
    page, console_errors, live_server, transactional_db, role_groups, axe
):
    UserFactory(username="frontdesk", role=roles.FRONT_DESK)
    today = timezone.localdate()
    twin = PatientFactory(
        first_name="Amara",
        last_name="Okonkwo",
        date_of_birth=estimated_birth_date(34, today),
        mrn="P0004711",
    )

    log_in(page, "frontdesk", PASSWORD)
    page.goto("/patients/new/")
    page.get_by_label(re.compile(r"^\s*First name")).fill("Amara")
    page.get_by_label(re.compile(r"^\s*Last name")).fill("Okonkwo")
    page.get_by_label("Age (years)").fill("34")
    page.get_by_label("Email").fill("amara@example.org")
    page.get_by_label("City").fill("Lagos")
    page.get_by_role("button", name="Register patient").click()

    warning = page.get_by_test_id("duplicates")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(twin.mrn)
    expect(warning).to_be_focused()
    assert warning.bounding_box()["y"] < page.evaluate("window.innerHeight")
    # Above every field of the form, and what was typed is still there.
    first_field = page.get_by_label(re.compile(r"^\s*First name"))
    assert warning.bounding_box()["y"] < first_field.bounding_box()["y"]
    expect(first_field).to_have_value("Amara")
    expect(page.get_by_label("Age (years)")).to_have_value("34")
    expect(page.get_by_label("City")).to_have_value("Lagos")
    axe("registration form with a likely duplicate first")

    page.get_by_label("I checked these records: none of them is this patient.").check()
    warning.get_by_role("button", name="Register as a new patient").click()
    expect(page.locator("h1")).to_have_text("Amara Okonkwo")
    patient = Patient.objects.exclude(pk=twin.pk).get(last_name="Okonkwo")
    assert patient.date_of_birth == estimated_birth_date(34, today)
    assert patient.dob_is_estimated and patient.city == "Lagos"
    assert console_errors == []

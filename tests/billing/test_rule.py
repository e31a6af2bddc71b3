"""The billing rule of DESIGN.md, through the contract service `invoice_draft_for_patient`."""

from decimal import Decimal

import pytest

from appointments.models import AppointmentStatus
from billing import rule, selectors
from billing.models import InvoiceLine, LineKind
from tests.billing.factories import amounts, drafted, medication, settings, surgery, visit
from tests.factories import (
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def patient():
    return PatientFactory()


def test_it_bills_one_minimum_charge_line_of_50_when_there_is_no_history(patient):
    invoice = drafted(patient)

    assert amounts(invoice) == [(LineKind.MINIMUM_CHARGE, "Minimum charge", D("50.00"))]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("50.00"), D("0.00"), D("50.00"))


def test_it_bills_50_when_the_only_item_is_a_zero_cost_medication(patient):
    free = MedicationCostFactory(name="Saline", unit_cost=D("0.00"))
    medication(patient, "Saline", medication=free)

    invoice = drafted(patient)

    assert amounts(invoice) == [
        (LineKind.MEDICATION, "Saline", D("0.00")),
        (LineKind.MINIMUM_CHARGE, "Minimum charge", D("50.00")),
    ]
    assert invoice.total == D("50.00")
    assert not invoice.lines.filter(unpriced=True).exists()


def test_it_adds_0_for_an_unpriced_medication_and_flags_it(patient):
    MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
    medication(patient, "Metformin")
    medication(patient, "Unobtainium")

    invoice = drafted(patient)

    lines = {line.description: line for line in invoice.lines.all()}
    assert lines["Unobtainium"].amount == D("0.00")
    assert lines["Unobtainium"].unpriced is True
    assert lines["Metformin"].unpriced is False
    assert invoice.total == D("12.50")  # no minimum charge: the sum is not 0.00


@pytest.mark.parametrize("nothing", ["None", "N/A", "-", "  none ", "n/a"])
def test_it_does_not_bill_none_surgeries_or_medications(patient, nothing):
    surgery(patient, nothing)
    medication(patient, nothing)

    invoice = drafted(patient)

    assert amounts(invoice) == [(LineKind.MINIMUM_CHARGE, "Minimum charge", D("50.00"))]


def test_it_bills_two_history_rows_with_the_same_surgery_twice(patient):
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    first = surgery(patient, "Appendectomy")
    second = surgery(patient, "appendectomy ")

    invoice = drafted(patient)

    assert amounts(invoice) == [
        (LineKind.SURGERY, "Appendectomy", D("400.00")),
        (LineKind.SURGERY, "Appendectomy", D("400.00")),
    ]
    assert set(invoice.lines.values_list("source_key", flat=True)) == {
        f"history:{first.pk}",
        f"history:{second.pk}",
    }


def test_it_bills_an_unlisted_surgery_at_the_default_surgery_fee(patient):
    settings(default_surgery_fee=D("75.00"))
    surgery(patient, "Tonsillectomy")

    assert drafted(patient).total == D("75.00")


def test_it_prices_by_the_foreign_key_before_the_name(patient):
    listed = ProcedureFeeFactory(name="Knee arthroscopy", fee=D("900.00"))
    surgery(patient, "knee scope (left)", procedure=listed)
    tablets = MedicationCostFactory(name="Amoxicillin 500 mg", unit_cost=D("3.20"))
    medication(patient, "amoxicillin", medication=tablets)

    invoice = drafted(patient)

    assert sorted(amounts(invoice)) == [
        (LineKind.MEDICATION, "Amoxicillin 500 mg", D("3.20")),
        (LineKind.SURGERY, "Knee arthroscopy", D("900.00")),
    ]


def test_it_matches_medication_names_trimmed_and_case_blind(patient):
    MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
    medication(patient, "metformin ")
    medication(patient, "  METFORMIN")

    invoice = drafted(patient)

    assert amounts(invoice) == [
        (LineKind.MEDICATION, "Metformin", D("12.50")),
        (LineKind.MEDICATION, "Metformin", D("12.50")),
    ]


def test_it_multiplies_the_unit_cost_by_the_quantity_given(patient):
    MedicationCostFactory(name="Paracetamol", unit_cost=D("0.35"))
    medication(patient, "Paracetamol", quantity=3)

    line = drafted(patient).lines.get()

    assert (line.quantity, line.unit_price, line.amount) == (D("3"), D("0.35"), D("1.05"))


def test_it_bills_each_attended_appointment_at_the_doctors_consultation_fee(patient):
    first = visit(patient, fee="80.00")
    second = visit(patient, fee="120.50")
    visit(patient, fee="999.00", status=AppointmentStatus.CANCELLED)  # left before being seen

    invoice = drafted(patient)

    consultations = invoice.lines.filter(kind=LineKind.CONSULTATION)
    assert sorted(consultations.values_list("amount", flat=True)) == [D("80.00"), D("120.50")]
    assert set(consultations.values_list("source_key", flat=True)) == {
        f"attendance:{first.pk}",
        f"attendance:{second.pk}",
    }
    assert invoice.total == D("200.50")


def test_it_ignores_conditions_allergies_and_entries_not_billable(patient):
    MedicalHistoryFactory(patient=patient, kind="condition", description="Asthma")
    MedicalHistoryFactory(patient=patient, kind="allergy", description="Penicillin")
    surgery(patient, "Appendectomy", is_billable=False)

    assert amounts(drafted(patient)) == [(LineKind.MINIMUM_CHARGE, "Minimum charge", D("50.00"))]


def test_it_adds_tax_at_the_tax_rate(patient):
    settings(tax_rate=D("0.0750"))
    MedicationCostFactory(name="Ibuprofen", unit_cost=D("10.10"))
    medication(patient, "Ibuprofen")

    invoice = drafted(patient)

    # 10.10 x 7.5 % = 0.7575 -> 0.76
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("10.10"), D("0.76"), D("10.86"))
    assert invoice.tax_rate == D("0.0750")


def test_it_rounds_half_up_to_cents(patient):
    settings(tax_rate=D("0.0500"))
    MedicationCostFactory(name="Zinc", unit_cost=D("2.50"))
    medication(patient, "Zinc")

    invoice = drafted(patient)

    # 2.50 x 5 % = 0.125: half-up gives 0.13 (banker's rounding would give 0.12).
    assert invoice.tax == D("0.13")
    assert rule.cents(D("2.675")) == D("2.68")
    assert rule.cents(D("-0.005")) == D("-0.01")


def test_it_taxes_the_minimum_charge_too(patient):
    settings(tax_rate=D("0.1000"), minimum_charge=D("40.00"))

    invoice = drafted(patient)

    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("40.00"), D("4.00"), D("44.00"))


def test_it_skips_items_already_on_an_active_line_and_takes_freed_ones(patient):
    billed = surgery(patient, "Biopsy")
    freed = surgery(patient, "Cast")
    InvoiceLine.objects.create(
        invoice=drafted(PatientFactory()),
        kind=LineKind.SURGERY,
        description="Biopsy",
        unit_price=D("50.00"),
        amount=D("50.00"),
        source_key=f"history:{billed.pk}",
    )
    InvoiceLine.objects.create(
        invoice=drafted(PatientFactory()),
        kind=LineKind.SURGERY,
        description="Cast",
        unit_price=D("50.00"),
        amount=D("50.00"),
        source_key=f"history:{freed.pk}",
        is_active=False,
    )

    invoice = drafted(patient)

    assert list(invoice.lines.values_list("source_key", flat=True)) == [f"history:{freed.pk}"]


def test_it_previews_the_same_total_the_draft_comes_to(patient):
    settings(tax_rate=D("0.0750"))
    MedicationCostFactory(name="Metformin", unit_cost=D("12.50"))
    ProcedureFeeFactory(name="Appendectomy", fee=D("400.00"))
    medication(patient, "metformin", quantity=2)
    medication(patient, "Unlisted drug")
    surgery(patient, "Appendectomy")
    surgery(patient, "Unlisted surgery")
    visit(patient, fee="80.00")
    nothing = PatientFactory()
    medication(nothing, "Unlisted drug")

    rows = {row.patient.pk: row for row in selectors.ready_to_bill().rows}

    assert rows[patient.pk].preview.total == drafted(patient).total == D("596.63")
    assert rows[patient.pk].unpriced == 1
    assert rows[nothing.pk].preview.total == drafted(nothing).total == D("53.75")

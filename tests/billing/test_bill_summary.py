"""Each patient's bill as the database keeps it (billing.bill_summary): after every kind of
write the patient-bills report shows what drafting the invoice would bill, and its totals are
the sum of its rows. Figures are worked out by hand in the comments."""

import random
import threading
import time
from decimal import Decimal

import pytest
from django.db import ProgrammingError, connection, transaction

from appointments.models import AppointmentStatus
from billing import bill_summary, services
from billing import selectors as billing_selectors
from billing.models import PatientBill
from patients.models import HistoryKind, Patient
from reports import selectors
from tests.billing.factories import drafted, issued, medication, settings, surgery, visit
from tests.concurrency import together
from tests.factories import (
    DoctorFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def bill(patient) -> tuple:
    """(medication, surgery, consultation, total, unpriced, tax, invoice total) of the
    patient's row in the patient-bills report."""
    rows = selectors.patient_bills_report(after=None, limit=None).rows
    (row,) = [r for r in rows if r[0] == patient.mrn]
    return row[2:]


@pytest.fixture
def prices():
    settings(default_surgery_fee=D("300.00"), minimum_charge=D("35.00"), tax_rate=D("0.1000"))
    return {
        "metformin": MedicationCostFactory(name="Metformin", unit_cost=D("12.50")),
        "appendectomy": ProcedureFeeFactory(name="Appendectomy", fee=D("800.00")),
    }


def test_it_follows_every_write_that_changes_a_bill(prices, billing_clerk):
    patient = PatientFactory()
    assert bill(patient) == (D("0"), D("0"), D("0"), D("35.00"), 0, D("3.50"), D("38.50"))

    medication(patient, " metformin", quantity=3)  # 3 × 12.50 by name
    surgery(patient, "Appendectomy")
    knee = surgery(patient, "Knee replacement")  # no fee: the default 300.00
    medication(patient, "Unknown drug")  # unpriced: 0.00
    seen = visit(patient, fee="40.00")
    assert bill(patient) == (
        D("37.50"),
        D("1100.00"),
        D("40.00"),
        D("1177.50"),
        1,
        D("117.75"),
        D("1295.25"),
    )

    # The price list and the doctor's fee change: the bill follows at once.
    prices["metformin"].unit_cost = D("10.00")
    prices["metformin"].save()
    ProcedureFeeFactory(name="knee REPLACEMENT", fee=D("450.00"))  # by name, case aside
    seen.appointment.doctor.consultation_fee = D("45.00")
    seen.appointment.doctor.save()
    assert bill(patient)[:4] == (D("30.00"), D("1250.00"), D("45.00"), D("1325.00"))

    # The settings apply when read: nothing is re-priced when they change.
    settings(default_surgery_fee=D("0.00"), tax_rate=D("0.0000"))
    assert bill(patient)[3:] == (D("1325.00"), 1, D("0.00"), D("1325.00"))

    # The visit turns out cancelled; an entry stops being billable; one is deleted.
    seen.appointment.status = AppointmentStatus.CANCELLED
    seen.appointment.save()
    knee.is_billable = False
    knee.save()
    assert bill(patient)[:4] == (D("30.00"), D("800.00"), D("0.00"), D("830.00"))

    # Drafting bills everything: nothing is left but the minimum charge, until the draft goes.
    draft = drafted(patient, by=billing_clerk)
    assert draft.subtotal == D("830.00")
    assert not PatientBill.objects.filter(patient=patient).exists()
    assert bill(patient)[3] == D("35.00")
    services.invoice_draft_delete(invoice=draft, by=billing_clerk)
    assert bill(patient)[3] == D("830.00")

    # Issued and then void: the items are unbilled again.
    invoice = issued(patient, by=billing_clerk)
    assert bill(patient)[3] == D("35.00")
    services.invoice_void(invoice=invoice, reason="Wrong patient", by=billing_clerk)
    assert bill(patient)[3] == D("830.00")


@pytest.mark.django_db(transaction=True)
def test_it_holds_for_a_write_that_bypasses_the_application(prices):
    """The application's own database login, in plain SQL: the triggers price it all the same."""
    patient = PatientFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patients_medicalhistory (created_at, updated_at, patient_id, kind,"
            " description, recorded_on, is_billable, legacy_id, quantity)"
            " VALUES (now(), now(), %s, 'medication', 'METFORMIN', current_date, true, '', 2)",
            [patient.pk],
        )
    assert bill(patient)[:4] == (D("25.00"), D("0"), D("0"), D("25.00"))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patients_medicalhistory WHERE patient_id = %s", [patient.pk])
    assert bill(patient)[3] == D("35.00")


def test_its_totals_are_the_sum_of_its_rows(prices):
    a, b, c, d = PatientFactory.create_batch(4)
    medication(a, "Metformin")  # 12.50
    surgery(b, "Something new")  # the default fee only
    medication(c, "Unknown drug")  # 0.00: the minimum charge
    visit(d, fee="0.00")  # 0.00: the minimum charge
    for fee in (D("300.00"), D("0.00")):
        settings(default_surgery_fee=fee)
        rows = list(selectors.patient_bills_report().rows)
        totals = selectors.patient_bill_totals()
        assert totals.patients == len(rows) == 4
        assert totals.total == sum(r[5] for r in rows)
        assert totals.surgery_total == sum(r[3] for r in rows) == fee
        assert totals.minimum_charges == sum(1 for r in rows if not sum(r[2:5]))
        assert totals.unpriced_medications == 1
    assert totals.minimum_charges == 3  # b too, once the default fee is 0.00
    # The ready-to-bill list counts the patients with anything unbilled, from the same sums.
    assert billing_selectors.ready_to_bill().count == 4
    assert billing_selectors.ready_to_bill(unpriced_only=True).count == 1


def test_a_rebuild_finds_what_the_triggers_kept(prices):
    for patient in PatientFactory.create_batch(5):
        medication(patient, "Metformin", quantity=2)
        surgery(patient, "Appendectomy")
        visit(patient, fee="20.00")
    kept = list(selectors.patient_bills_report().rows), selectors.patient_bill_totals()
    bill_summary.rebuild()
    assert (list(selectors.patient_bills_report().rows), selectors.patient_bill_totals()) == kept


def test_the_report_is_what_drafting_bills_for_a_sample_of_patients(prices, billing_clerk):
    """A hospital of varied patients; every fifth one drafted, as a clerk would, must come to
    exactly what the report said before."""
    chance = random.Random(14)
    doctors = [DoctorFactory(consultation_fee=D(f"{25 + 5 * i}.00")) for i in range(3)]
    patients = PatientFactory.create_batch(25)
    for patient in patients:
        for _ in range(chance.randint(0, 3)):
            name = chance.choice(["Metformin", "metformin ", "Aspirin", "N/A"])
            medication(patient, name, quantity=chance.randint(1, 4))
        for _ in range(chance.randint(0, 2)):
            surgery(patient, chance.choice(["Appendectomy", "Hernia repair", "-"]))
        for _ in range(chance.randint(0, 2)):
            status = chance.choice(list(AppointmentStatus))
            visit(patient, status=status, doctor=chance.choice(doctors))
    expected = {r[0]: r for r in selectors.patient_bills_report().rows}
    for patient in patients[::5]:
        invoice = services.invoice_draft_for_patient(patient=patient, by=billing_clerk)
        row = expected[patient.mrn]
        assert (invoice.subtotal, invoice.tax, invoice.total) == (row[5], row[7], row[8])
        assert sum(1 for line in invoice.lines.all() if line.unpriced) == row[6]


def _wait_until_another_connection_waits_on_this_one(seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks"
                " WHERE NOT granted AND pg_backend_pid() = ANY (pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the other desk never waited"
            time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_two_desks_recording_for_one_patient_at_once_lose_nothing(prices):
    """The second desk's entry is written while the first desk's transaction is still open;
    its re-pricing waits for the patient's lock, then sees the first entry committed: the
    bill counts both."""
    patient = PatientFactory()
    recorded = threading.Event()

    def first() -> None:
        with transaction.atomic():
            medication(patient, "Metformin")
            recorded.set()
            _wait_until_another_connection_waits_on_this_one()

    def second() -> None:
        assert recorded.wait(30)
        with transaction.atomic():
            medication(patient, "metformin", quantity=2)

    assert together([first, second]) == [None, None]
    assert bill(patient)[:4] == (D("37.50"), D("0"), D("0"), D("37.50"))
    assert PatientBill.objects.get(patient=patient).items == 2
    assert patient.history.filter(kind=HistoryKind.MEDICATION).count() == 2


def test_the_applications_login_cannot_write_a_bill(prices):
    """Only the database's triggers write the sums: a bill cannot be made to say otherwise."""
    patient = PatientFactory()
    medication(patient, "Metformin")
    for statement in (
        "UPDATE billing_patientbill SET medication_total = 0",
        "DELETE FROM billing_billtotalsshard",
        "INSERT INTO billing_billtotalsshard (shard) VALUES (99)",
    ):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert bill(patient)[0] == D("12.50")


def test_a_write_for_thousands_of_patients_at_once_is_priced_in_one_transaction(prices):
    """An import's statement touches every patient it brings: each bill row is locked, and
    PostgreSQL's shared lock table (a few thousand entries) is not what holds them."""
    patients = Patient.objects.bulk_create(PatientFactory.build_batch(8000))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patients_medicalhistory (created_at, updated_at, patient_id, kind,"
            " description, recorded_on, is_billable, legacy_id, quantity)"
            " SELECT now(), now(), id, 'medication', 'Metformin', current_date, true, '', 1"
            " FROM patients_patient"
        )
    assert PatientBill.objects.count() == len(patients)
    totals = selectors.patient_bill_totals()
    assert (totals.patients, totals.medication_total) == (8000, D("12.50") * 8000)
    bill_summary.rebuild()
    assert selectors.patient_bill_totals() == totals

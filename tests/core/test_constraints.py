"""The rules PostgreSQL itself holds, whatever code writes the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from billing.models import (
    BillingSettings,
    InvoiceStatus,
    MedicationCost,
    Payment,
    PaymentMethod,
    ProcedureFee,
)
from core.models import AuditEvent
from doctors.models import WorkingHours
from patients.models import Patient
from tests.factories import (
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MedicationCostFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db

NINE = timezone.make_aware(datetime.datetime(2030, 1, 7, 9, 0))


def at(minutes: int) -> datetime.datetime:
    return NINE + datetime.timedelta(minutes=minutes)


def constraint_of(excinfo) -> str:
    return excinfo.value.__cause__.diag.constraint_name


def book(**kwargs) -> Appointment:
    """Insert an appointment directly, with no service in between."""
    kwargs.setdefault("status", AppointmentStatus.SCHEDULED)
    with transaction.atomic():
        return Appointment.objects.create(**kwargs)


@pytest.fixture
def doctor():
    return DoctorFactory()


@pytest.fixture
def patient():
    return PatientFactory()


class TestAppointmentOverlap:
    def test_it_refuses_two_overlapping_appointments_of_one_doctor(self, doctor):
        book(doctor=doctor, patient=PatientFactory(), start=at(0), end=at(30))
        with pytest.raises(IntegrityError) as excinfo:
            book(doctor=doctor, patient=PatientFactory(), start=at(15), end=at(45))
        assert constraint_of(excinfo) == "appointments_appointment_no_doctor_overlap"

    def test_it_refuses_two_overlapping_appointments_of_one_patient(self, patient):
        book(doctor=DoctorFactory(), patient=patient, start=at(0), end=at(30))
        with pytest.raises(IntegrityError) as excinfo:
            book(doctor=DoctorFactory(), patient=patient, start=at(0), end=at(30))
        assert constraint_of(excinfo) == "appointments_appointment_no_patient_overlap"

    def test_it_refuses_an_appointment_inside_a_longer_one(self, doctor):
        book(doctor=doctor, patient=PatientFactory(), start=at(0), end=at(60))
        with pytest.raises(IntegrityError):
            book(doctor=doctor, patient=PatientFactory(), start=at(20), end=at(40))

    def test_it_allows_back_to_back_appointments(self, doctor, patient):
        book(doctor=doctor, patient=patient, start=at(0), end=at(30))
        book(doctor=doctor, patient=patient, start=at(30), end=at(60))
        assert Appointment.objects.filter(doctor=doctor).count() == 2

    @pytest.mark.parametrize("freeing", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
    def test_it_lets_cancelled_and_no_show_free_the_slot(self, doctor, patient, freeing):
        book(doctor=doctor, patient=patient, start=at(0), end=at(30), status=freeing)
        book(doctor=doctor, patient=patient, start=at(0), end=at(30))
        assert Appointment.objects.filter(doctor=doctor, start=at(0)).count() == 2

    @pytest.mark.parametrize("holding", [AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED])
    def test_it_keeps_checked_in_and_completed_holding_the_slot(self, doctor, holding):
        book(doctor=doctor, patient=PatientFactory(), start=at(0), end=at(30), status=holding)
        with pytest.raises(IntegrityError):
            book(doctor=doctor, patient=PatientFactory(), start=at(0), end=at(30))

    def test_it_refuses_to_reactivate_a_cancelled_appointment_over_a_new_one(self, doctor):
        old = book(
            doctor=doctor,
            patient=PatientFactory(),
            start=at(0),
            end=at(30),
            status=AppointmentStatus.CANCELLED,
        )
        book(doctor=doctor, patient=PatientFactory(), start=at(0), end=at(30))
        old.status = AppointmentStatus.SCHEDULED
        with pytest.raises(IntegrityError), transaction.atomic():
            old.save()

    def test_it_refuses_an_appointment_that_ends_before_it_starts(self, doctor, patient):
        with pytest.raises(IntegrityError) as excinfo:
            book(doctor=doctor, patient=patient, start=at(30), end=at(30))
        assert constraint_of(excinfo) == "appointments_appointment_end_after_start"

    def test_it_refuses_an_unknown_status(self, doctor, patient):
        with pytest.raises(IntegrityError):
            book(doctor=doctor, patient=patient, start=at(0), end=at(30), status="lost")


class TestMoney:
    def test_it_refuses_a_negative_medication_cost(self):
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
            MedicationCost.objects.create(name="Aspirin", unit_cost=Decimal("-0.01"))
        assert constraint_of(excinfo) == "billing_medicationcost_unit_cost_not_negative"

    def test_it_refuses_a_negative_procedure_fee(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProcedureFee.objects.create(name="Appendectomy", fee=Decimal("-5"))

    def test_it_refuses_a_negative_consultation_fee(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            DoctorFactory(consultation_fee=Decimal("-1.00"))

    def test_it_refuses_a_zero_or_negative_payment(self):
        invoice = InvoiceFactory(
            status=InvoiceStatus.ISSUED, number="INV-2026-000001", total=0, subtotal=0
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(
                invoice=invoice, amount=0, method=PaymentMethod.CASH, received_at=timezone.now()
            )

    def test_it_refuses_negative_billing_settings(self):
        settings = BillingSettings.load()
        settings.minimum_charge = Decimal("-50")
        with pytest.raises(IntegrityError), transaction.atomic():
            settings.save()

    def test_it_keeps_one_row_of_billing_settings(self):
        BillingSettings.load()
        with pytest.raises(IntegrityError), transaction.atomic():
            BillingSettings.objects.create(pk=2)


class TestUniqueNames:
    def test_it_refuses_a_medication_name_that_differs_only_in_case(self):
        MedicationCostFactory(name="Metformin")
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
            MedicationCostFactory(name="METFORMIN")
        assert constraint_of(excinfo) == "billing_medicationcost_name_unique_ci"

    def test_it_refuses_a_procedure_name_that_differs_only_in_case(self):
        ProcedureFee.objects.create(name="Appendectomy", fee=100)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProcedureFee.objects.create(name="appendectomy", fee=100)

    def test_it_refuses_a_duplicate_mrn(self):
        PatientFactory(mrn="P0000001")
        with pytest.raises(IntegrityError), transaction.atomic():
            PatientFactory(mrn="P0000001")

    def test_it_refuses_a_duplicate_doctor_code(self):
        DoctorFactory(code="D0001")
        with pytest.raises(IntegrityError), transaction.atomic():
            DoctorFactory(code="D0001")


class TestBilledOnce:
    def test_it_refuses_a_second_active_line_for_the_same_item(self):
        InvoiceLineFactory(source_key="history:1")
        with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
            InvoiceLineFactory(source_key="history:1")
        assert constraint_of(excinfo) == "billing_invoiceline_source_billed_once"

    def test_it_allows_billing_again_once_the_old_line_is_inactive(self):
        old = InvoiceLineFactory(source_key="history:1")
        old.is_active = False
        old.save()
        InvoiceLineFactory(source_key="history:1")

    def test_it_allows_many_lines_without_a_source(self):
        InvoiceLineFactory(source_key=None)
        InvoiceLineFactory(source_key=None)

    def test_it_refuses_a_draft_with_a_number_and_an_issued_invoice_without(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceFactory(number="INV-2026-000001")
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceFactory(status=InvoiceStatus.ISSUED)


class TestOtherRules:
    def test_it_refuses_working_hours_that_end_before_they_start(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            WorkingHours.objects.create(
                doctor=DoctorFactory(),
                weekday=0,
                start_time=datetime.time(17),
                end_time=datetime.time(9),
            )

    def test_it_refuses_an_invalid_sex(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PatientFactory(sex="x")


class TestAuditLog:
    @pytest.fixture
    def event(self):
        return AuditEvent.objects.create(action=AuditEvent.Action.VIEW, object_type="x")

    def test_it_refuses_to_update_an_audit_event(self, event):
        with pytest.raises((InternalError, ProgrammingError)) as excinfo, transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="delete")
        # The application's role holds no UPDATE; the owner meets the append-only trigger.
        assert "permission denied for table core_auditevent" in str(excinfo.value)

    def test_it_refuses_to_delete_an_audit_event(self, event):
        with pytest.raises((InternalError, ProgrammingError)) as excinfo, transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert "permission denied for table core_auditevent" in str(excinfo.value)

    def test_it_refuses_even_raw_sql(self, event):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_auditevent")
        assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_creates_the_search_extensions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        names = {row[0] for row in cursor.fetchall()}
    assert {"btree_gist", "pg_trgm", "unaccent"} <= names


def test_it_finds_patients_accent_blind_through_the_trigram_index():
    from django.db.models.functions import Lower

    from core.search import Unaccent

    PatientFactory(first_name="José", last_name="Núñez")
    found = Patient.objects.annotate(n=Unaccent(Lower("last_name"))).filter(n="nunez")
    assert found.count() == 1

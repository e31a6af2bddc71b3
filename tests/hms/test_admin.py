"""The Django admin writes through the services; what it may not write (the audit log,
issued invoices, a second billing settings row) it refuses."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, Attendance
from billing.models import BillingSettings, Invoice, InvoiceLine, InvoiceStatus
from core.models import AuditEvent
from doctors.models import Doctor
from patients.models import Patient
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    AuditEventFactory,
    DoctorFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PatientFactory,
    WorkingHoursFactory,
)

MONDAY = datetime.date(2030, 3, 4)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def at(hour, minute=0, day=MONDAY):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# --- writes go through the services ------------------------------------------------------------


def test_it_registers_a_patient_with_the_next_mrn_and_audits_it(admin_client, admin_user):
    PatientFactory(mrn="P0000007")

    response = admin_client.post(
        url(Patient, "add"),
        {"mrn": "", "first_name": "Amara", "last_name": "Okafor", "sex": "female", "_save": "1"},
    )

    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Okafor")
    assert patient.mrn == "P0000008"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="patients.patient")
    assert event.patient_id == patient.pk
    assert event.actor_id == admin_user.pk
    assert event.ip_address == "127.0.0.1"
    assert event.path == url(Patient, "add")
    assert event.changes["last_name"] == {"before": None, "after": "Okafor"}


def test_it_keeps_an_mrn_typed_in_the_admin(admin_client):
    admin_client.post(
        url(Patient, "add"),
        {"mrn": "LEG-12", "first_name": "Li", "last_name": "Wei", "sex": "male", "_save": "1"},
    )
    assert Patient.objects.get(last_name="Wei").mrn == "LEG-12"


def test_it_audits_a_patient_edit_with_the_changed_fields(admin_client):
    patient = PatientFactory(
        first_name="Ana", last_name="Silva", sex="female", phone="1", date_of_birth=None
    )

    response = admin_client.post(
        url(Patient, "change", patient.pk),
        {"first_name": "Ana", "last_name": "Silva-Costa", "sex": "female", "phone": "1"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.changes["last_name"] == {"before": "Silva", "after": "Silva-Costa"}
    assert set(event.changes) == {"last_name"}


def test_it_deactivates_patients_instead_of_deleting_them(admin_client):
    patient = PatientFactory()

    assert admin_client.get(url(Patient, "delete", patient.pk)).status_code == 403
    response = admin_client.post(
        url(Patient, "changelist"), {"action": "deactivate", "_selected_action": [patient.pk]}
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.is_active is False
    assert AuditEvent.objects.filter(
        object_id=str(patient.pk), changes__is_active__after=False
    ).exists()


def _booking(patient, doctor, start, end=None, reason="Check-up"):
    data = {
        "patient": patient.pk,
        "doctor": doctor.pk,
        "start_0": start.strftime("%Y-%m-%d"),
        "start_1": start.strftime("%H:%M:%S"),
        "end_0": end.strftime("%Y-%m-%d") if end else "",
        "end_1": end.strftime("%H:%M:%S") if end else "",
        "reason": reason,
        "_save": "1",
    }
    return data


@pytest.fixture
def bookable(db):
    doctor = DoctorFactory(first_name="Ada", last_name="Lovelace")
    WorkingHoursFactory(doctor=doctor)
    return doctor, PatientFactory()


def test_it_books_through_appointment_book(admin_client, admin_user, bookable):
    doctor, patient = bookable

    response = admin_client.post(url(Appointment, "add"), _booking(patient, doctor, at(10)))

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.end) == (at(10), at(10, 30))
    assert appointment.booked_by == admin_user
    assert appointment.status_changes.get().to_status == AppointmentStatus.SCHEDULED
    assert AuditEvent.objects.filter(object_type="appointments.appointment").count() == 1


def test_it_shows_an_overlapping_booking_as_an_error_on_the_form(admin_client, bookable):
    doctor, patient = bookable
    AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))

    response = admin_client.post(
        url(Appointment, "add"), _booking(patient, doctor, at(10, 15), at(10, 45))
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        "Dr Ada Lovelace already has an appointment from 10:00 to 10:30 — pick another time."
    ]
    assert "already has an appointment from 10:00 to 10:30" in response.content.decode()
    assert Appointment.objects.count() == 1
    assert not AuditEvent.objects.exclude(action="login").exists()


def test_it_shows_a_booking_outside_working_hours_as_an_error(admin_client, bookable):
    doctor, patient = bookable

    response = admin_client.post(url(Appointment, "add"), _booking(patient, doctor, at(7)))

    assert response.status_code == 200
    assert "does not work on Monday" in response.content.decode()
    assert not Appointment.objects.exists()


def _inline_management(response):
    """What the browser posts for the page's inlines: their management forms and row ids."""
    data = {}
    for inline_formset in response.context["inline_admin_formsets"]:
        formset = inline_formset.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for index, form in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{index}-id"] = form.instance.pk
    return data


def test_it_reschedules_through_appointment_reschedule(admin_client, bookable):
    doctor, patient = bookable
    admin_client.post(url(Appointment, "add"), _booking(patient, doctor, at(10)))
    appointment = Appointment.objects.get()
    change_url = url(Appointment, "change", appointment.pk)
    page = admin_client.get(change_url)

    data = {
        **_inline_management(page),
        "start_0": "2030-03-04",
        "start_1": "11:00:00",
        "end_0": "2030-03-04",
        "end_1": "10:30:00",  # unchanged: the length is kept
        "_save": "1",
    }
    response = admin_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    appointment.refresh_from_db()
    assert (appointment.start, appointment.end) == (at(11), at(11, 30))
    move = appointment.status_changes.order_by("id").last()
    assert (move.old_start, move.new_start) == (at(10), at(11))


def test_it_shows_history_appointments_read_only(admin_client):
    appointment = AppointmentFactory(status=AppointmentStatus.COMPLETED)

    response = admin_client.get(url(Appointment, "change", appointment.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert admin_client.post(url(Appointment, "change", appointment.pk), {}).status_code == 403


def test_it_saves_doctor_hours_through_the_services(admin_client):
    specialty = DoctorFactory().specialty

    response = admin_client.post(
        url(Doctor, "add"),
        {
            "code": "",
            "first_name": "Jin",
            "last_name": "Park",
            "specialty": specialty.pk,
            "consultation_fee": "40.00",
            "is_active": "on",
            "working_hours-TOTAL_FORMS": "1",
            "working_hours-INITIAL_FORMS": "0",
            "working_hours-0-weekday": "2",
            "working_hours-0-start_time": "08:00",
            "working_hours-0-end_time": "12:00",
            "working_hours-0-slot_minutes": "15",
            "working_hours-0-valid_from": "2030-01-01",
            "time_off-TOTAL_FORMS": "0",
            "time_off-INITIAL_FORMS": "0",
            "_save": "1",
        },
    )

    assert response.status_code == 302
    doctor = Doctor.objects.get(first_name="Jin", last_name="Park")  # Faker knows Parks too
    assert doctor.code.startswith("D")
    assert doctor.working_hours.get().slot_minutes == 15
    assert AuditEvent.objects.filter(object_type="doctors.workinghours").count() == 1


def test_it_shows_overlapping_working_hours_as_an_error(admin_client):
    doctor = DoctorFactory()
    existing = WorkingHoursFactory(doctor=doctor, weekday=0)
    page = admin_client.get(url(Doctor, "change", doctor.pk))
    data = {
        "first_name": doctor.first_name,
        "last_name": doctor.last_name,
        "specialty": doctor.specialty_id,
        "consultation_fee": "0.00",
        "is_active": "on",
        **_inline_management(page),
        "working_hours-TOTAL_FORMS": "2",
        "working_hours-0-weekday": "0",
        "working_hours-0-start_time": "09:00",
        "working_hours-0-end_time": "17:00",
        "working_hours-0-slot_minutes": "30",
        "working_hours-0-valid_from": "2020-01-01",
        "working_hours-1-weekday": "0",
        "working_hours-1-start_time": "12:00",
        "working_hours-1-end_time": "14:00",
        "working_hours-1-slot_minutes": "30",
        "working_hours-1-valid_from": "2020-01-01",
        "_save": "1",
    }

    response = admin_client.post(url(Doctor, "change", doctor.pk), data)

    assert response.status_code == 200
    assert "These hours overlap the doctor&#x27;s Monday hours 09:00–17:00" in (
        response.content.decode()
    )
    assert list(doctor.working_hours.all()) == [existing]


# --- what may not be written -------------------------------------------------------------------


def test_it_never_lets_anyone_write_the_audit_log(admin_client):
    event = AuditEventFactory()

    assert admin_client.get(url(AuditEvent, "add")).status_code == 403
    assert admin_client.get(url(AuditEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(url(AuditEvent, "change", event.pk), {}).status_code == 403
    page = admin_client.get(url(AuditEvent, "changelist"))
    assert page.context["action_form"] is None  # no bulk actions, so no bulk delete


def test_it_keeps_one_row_of_billing_settings(admin_client, admin_user):
    assert admin_client.get(url(BillingSettings, "add")).status_code == 200

    response = admin_client.post(
        url(BillingSettings, "add"),
        {
            "hospital_name": "St Elsewhere",
            "currency": "EUR",
            "default_surgery_fee": "50.00",
            "minimum_charge": "25.00",
            "tax_rate": "0",
            "payment_terms_days": "14",
            "payment_terms": "Two weeks.",
            "_save": "1",
        },
    )

    assert response.status_code == 302
    row = BillingSettings.objects.get()
    assert (row.pk, row.hospital_name, str(row.minimum_charge)) == (1, "St Elsewhere", "25.00")
    assert admin_client.get(url(BillingSettings, "add")).status_code == 403
    assert admin_client.get(url(BillingSettings, "delete", 1)).status_code == 403


@pytest.mark.parametrize("status", [InvoiceStatus.ISSUED, InvoiceStatus.PAID, InvoiceStatus.VOID])
def test_it_shows_issued_invoices_read_only(admin_client, status):
    invoice = InvoiceFactory(
        status=status,
        number="INV-2030-000001",
        issued_at=timezone.now(),
        void_reason="Typo" if status == InvoiceStatus.VOID else "",
    )

    page = admin_client.get(url(Invoice, "change", invoice.pk))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin_client.get(url(Invoice, "delete", invoice.pk)).status_code == 403
    assert admin_client.post(url(Invoice, "delete", invoice.pk), {"post": "yes"}).status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_it_deletes_a_draft_invoice_through_the_service(admin_client):
    invoice = InvoiceFactory()
    InvoiceLineFactory(invoice=invoice)

    response = admin_client.post(url(Invoice, "delete", invoice.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()
    assert AuditEvent.objects.get(object_type="billing.invoice").action == "delete"


def test_it_logs_who_opened_a_visit_record(admin_client, admin_user):
    attendance = AttendanceFactory(diagnosis="Flu")

    assert admin_client.get(url(Attendance, "change", attendance.pk)).status_code == 200

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("appointments.attendance", str(attendance.pk))
    assert event.patient_id == attendance.patient_id
    assert event.actor_id == admin_user.pk

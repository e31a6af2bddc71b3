"""The front desk's pages as a clerk uses them: register, find, book, move, check in."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import services as appointment_services
from appointments.models import Appointment, AppointmentStatus, Attendance
from appointments.selectors import slot_choices
from core.models import AuditEvent
from patients.models import Patient
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    MedicalHistoryFactory,
    PatientFactory,
    SpecialtyFactory,
)

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "first_name": "Amara",
    "last_name": "Okonkwo",
    "date_of_birth": "1990-05-17",
    "sex": "female",
    "phone": "+44 20 7946 0958",
}


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


def value_of(slot_start, doctor):
    return next(
        c.value
        for c in slot_choices(
            doctors=[doctor], day_from=slot_start.date(), day_to=slot_start.date()
        )
        if c.start == slot_start
    )


# --- patients ----------------------------------------------------------------------------


def test_it_registers_a_patient_with_the_next_mrn(desk, front_desk):
    response = desk.post(reverse("patients:patient_create"), NEW_PATIENT)

    patient = Patient.objects.get(last_name="Okonkwo")
    assert response.status_code == 302
    assert response.url == reverse("patients:patient_detail", args=[patient.pk])
    assert patient.mrn == "P0000001"
    event = AuditEvent.objects.get(object_type="patients.patient", object_id=str(patient.pk))
    assert event.actor == front_desk
    assert "not_the_same_person_as" not in event.changes


def test_it_shows_likely_duplicates_before_saving(desk):
    twin = PatientFactory(last_name="OKONKWO", date_of_birth=datetime.date(1990, 5, 17))

    response = desk.post(reverse("patients:patient_create"), NEW_PATIENT)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Is this one of these patients?" in html
    assert twin.mrn in html
    assert 'value="Amara"' in html  # what the clerk typed is kept
    assert not Patient.objects.filter(first_name="Amara").exists()


def test_it_records_the_not_the_same_person_confirmation(desk):
    twin = PatientFactory(last_name="Okonkwo", date_of_birth=datetime.date(1990, 5, 17))
    other = PatientFactory(phone="+44 20 7946 0958")

    desk.post(reverse("patients:patient_create"), NEW_PATIENT)  # shows both
    response = desk.post(
        reverse("patients:patient_create"),
        {**NEW_PATIENT, "not_duplicate": "on", "reviewed": f"{twin.pk},{other.pk}"},
    )

    assert response.status_code == 302
    patient = Patient.objects.get(first_name="Amara")
    event = AuditEvent.objects.get(object_type="patients.patient", object_id=str(patient.pk))
    assert event.changes["not_the_same_person_as"]["after"] == sorted([twin.mrn, other.mrn])


def test_it_asks_again_when_a_duplicate_was_not_among_those_confirmed(desk):
    twin = PatientFactory(last_name="Okonkwo", date_of_birth=datetime.date(1990, 5, 17))
    newcomer = PatientFactory(phone="+44 20 7946 0958")

    response = desk.post(
        reverse("patients:patient_create"),
        {**NEW_PATIENT, "not_duplicate": "on", "reviewed": str(twin.pk)},
    )

    assert response.status_code == 200
    assert newcomer.mrn in response.content.decode()
    assert not Patient.objects.filter(first_name="Amara").exists()


def test_it_keeps_an_invalid_registration_on_the_form(desk):
    response = desk.post(reverse("patients:patient_create"), {**NEW_PATIENT, "last_name": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Patient.objects.exists()


def test_it_edits_deactivates_and_reactivates_a_patient(desk):
    patient = PatientFactory(first_name="Old")

    desk.post(
        reverse("patients:patient_update", args=[patient.pk]),
        {**NEW_PATIENT, "first_name": "New"},
    )
    patient.refresh_from_db()
    assert patient.first_name == "New"

    assert desk.get(reverse("patients:patient_deactivate", args=[patient.pk])).status_code == 200
    desk.post(reverse("patients:patient_deactivate", args=[patient.pk]))
    patient.refresh_from_db()
    assert not patient.is_active

    desk.post(reverse("patients:patient_reactivate", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.is_active


def test_it_searches_with_or_without_javascript(desk):
    PatientFactory(first_name="Zoë", last_name="Kowalczyk")
    url = reverse("patients:patient_list") + "?q=zoe+kowal"

    page = desk.get(url)
    partial = desk.get(url, headers={"HX-Request": "true"})

    assert "<html" in page.content.decode() and "Kowalczyk" in page.content.decode()
    assert "<html" not in partial.content.decode() and "Kowalczyk" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_it_shows_appointments_and_no_clinical_content_on_the_patient_page(desk):
    patient = PatientFactory()
    AppointmentFactory(patient=patient, reason="Knee pain")
    AttendanceFactory(
        appointment=AppointmentFactory(
            patient=patient,
            start=at(9, day=datetime.date(2024, 1, 8)),
            end=at(9, 30, day=datetime.date(2024, 1, 8)),
            status=AppointmentStatus.COMPLETED,
        ),
        patient=patient,
        diagnosis="Secret diagnosis",
        notes="Secret notes",
    )
    MedicalHistoryFactory(patient=patient, description="Secret history")

    html = desk.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()

    assert "Knee pain" in html and "2024-01-08" in html
    assert "Secret" not in html


# --- booking -----------------------------------------------------------------------------


def test_it_asks_for_the_patient_on_the_booking_page_keeping_the_doctor(desk):
    doctor = doctor_with_hours()

    response = desk.get(reverse("appointments:appointment_book") + f"?doctor={doctor.pk}")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="patient-search"' in html
    assert f'<option value="{doctor.pk}" selected>' in html


def test_it_preselects_the_first_free_slot(desk):
    doctor = doctor_with_hours(weekdays=range(7))
    patient = PatientFactory()

    html = desk.get(
        reverse("appointments:appointment_book")
        + f"?patient={patient.pk}&doctor={doctor.pk}&first=1"
    ).content.decode()

    assert "First free slot" in html
    assert html.count(" checked>") == 1


def test_it_books_a_slot_and_shows_it_on_the_calendar(desk, front_desk):
    doctor = doctor_with_hours()
    patient = PatientFactory(last_name="Lindgren")

    response = desk.post(
        reverse("appointments:appointment_book"),
        {
            "patient": patient.pk,
            "doctor": doctor.pk,
            "slot": value_of(at(10), doctor),
            "reason": "Palpitations",
            "action": "book",
        },
    )

    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.start, appointment.booked_by, appointment.reason) == (
        at(10),
        front_desk,
        "Palpitations",
    )
    assert response.status_code == 302
    calendar = desk.get(response.url).content.decode()
    assert "Lindgren" in calendar and f'id="appointment-{appointment.pk}"' in calendar


def test_it_shows_slot_taken_with_the_form_still_filled(desk, monkeypatch):
    doctor = doctor_with_hours()
    slot = value_of(at(10), doctor)
    AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))
    # The other desk's booking landed after our checks: only the database can tell.
    monkeypatch.setattr(
        appointment_services, "_resolve_and_check_slot", lambda **kw: kw["end"] or at(10, 30)
    )

    response = desk.post(
        reverse("appointments:appointment_book"),
        {
            "patient": PatientFactory().pk,
            "doctor": doctor.pk,
            "slot": slot,
            "reason": "Keep me",
            "action": "book",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "That slot was just taken — pick another." in html
    assert 'value="Keep me"' in html
    assert f'<option value="{doctor.pk}" selected>' in html


def test_it_refuses_a_slot_taken_since_the_page_was_shown(desk):
    doctor = doctor_with_hours()
    slot = value_of(at(10), doctor)
    AppointmentFactory(doctor=doctor, start=at(10), end=at(10, 30))

    response = desk.post(
        reverse("appointments:appointment_book"),
        {"patient": PatientFactory().pk, "doctor": doctor.pk, "slot": slot, "action": "book"},
    )

    assert response.status_code == 200
    assert "pick another time" in response.content.decode()


def test_it_offers_every_doctor_of_a_specialty_in_the_slot_picker(desk):
    specialty = SpecialtyFactory(name="Pediatrics")
    first = doctor_with_hours(specialty=specialty, last_name="Ahlberg")
    second = doctor_with_hours(specialty=specialty, last_name="Berglund")

    html = desk.get(
        reverse("appointments:slot_picker")
        + f"?specialty={specialty.pk}&from_date={MONDAY}&first=1",
        headers={"HX-Request": "true"},
    ).content.decode()

    assert "<html" not in html
    assert "Ahlberg" in html and "Berglund" in html
    assert f"{first.pk}|" in html and f"{second.pk}|" in html


def test_it_reschedules_to_another_free_slot(desk):
    doctor = doctor_with_hours(weekdays=(0, 1))
    appointment = AppointmentFactory(doctor=doctor, start=at(9), end=at(9, 30))

    response = desk.post(
        reverse("appointments:appointment_reschedule", args=[appointment.pk]),
        {"slot": value_of(at(11, day=TUESDAY), doctor), "action": "book"},
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == at(11, day=TUESDAY)
    detail = desk.get(response.url).content.decode()
    assert "Moved from" in detail


def test_it_needs_a_reason_to_cancel(desk):
    appointment = AppointmentFactory()
    url = reverse("appointments:appointment_cancel", args=[appointment.pk])

    refused = desk.post(url, {"reason": "  "})
    appointment.refresh_from_db()
    assert refused.status_code == 200 and appointment.status == AppointmentStatus.SCHEDULED

    desk.post(url, {"reason": "Feeling better"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Feeling better")


def test_it_checks_a_patient_in_from_the_arrivals_list(desk, front_desk):
    start = max(
        timezone.now() - datetime.timedelta(minutes=1),
        timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min)),
    )
    appointment = AppointmentFactory(start=start, end=start + datetime.timedelta(minutes=30))
    arrivals = reverse("appointments:arrivals")
    assert "Check in" in desk.get(arrivals).content.decode()

    response = desk.post(
        reverse("appointments:appointment_check_in", args=[appointment.pk]), {"next": arrivals}
    )

    assert response.status_code == 302 and response.url == arrivals
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert Attendance.objects.get(appointment=appointment).checked_in_by == front_desk


def test_it_refuses_a_no_show_before_the_start_with_a_message(desk):
    appointment = AppointmentFactory(start=at(9), end=at(9, 30))  # in 2030

    response = desk.post(
        reverse("appointments:appointment_no_show", args=[appointment.pk]), follow=True
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert "once the start has passed" in response.content.decode()


def test_it_ignores_an_offsite_next_after_a_move(desk):
    appointment = AppointmentFactory(start=at(9), end=at(9, 30))

    response = desk.post(
        reverse("appointments:appointment_no_show", args=[appointment.pk]),
        {"next": "https://evil.example/"},
    )

    assert response.url == reverse("appointments:arrivals")


# --- doctors' hours ----------------------------------------------------------------------


def test_it_lists_appointments_left_outside_new_hours_for_rebooking(desk):
    doctor = doctor_with_hours()
    late = AppointmentFactory(doctor=doctor, start=at(16), end=at(16, 30))
    hours = doctor.working_hours.get()

    response = desk.post(
        reverse("doctors:working_hours_edit", args=[hours.pk]),
        {
            "weekday": 0,
            "start_time": "09:00",
            "end_time": "12:00",
            "slot_minutes": 30,
            "valid_from": "2020-01-01",
        },
        follow=True,
    )

    html = response.content.decode()
    assert "1 booked appointment" in html and "listed below for rebooking" in html
    assert reverse("appointments:appointment_reschedule", args=[late.pk]) in html
    late.refresh_from_db()
    assert late.status == AppointmentStatus.SCHEDULED  # kept, never dropped


def test_it_adds_time_off_and_shows_it_in_the_week(desk):
    doctor = doctor_with_hours()

    desk.post(
        reverse("doctors:time_off_create", args=[doctor.pk]),
        {"start": "2030-03-04T12:00", "end": "2030-03-04T14:00", "reason": "Training"},
    )

    html = desk.get(
        reverse("doctors:doctor_schedule", args=[doctor.pk]) + f"?week={MONDAY}"
    ).content.decode()
    assert "Training" in html
    slots = [c.start for c in slot_choices(doctors=[doctor], day_from=MONDAY, day_to=MONDAY)]
    assert at(12) not in slots and at(14) in slots


def test_it_refuses_overlapping_hours_with_a_message(desk):
    doctor = doctor_with_hours()

    response = desk.post(
        reverse("doctors:working_hours_create", args=[doctor.pk]),
        {
            "weekday": 0,
            "start_time": "16:00",
            "end_time": "18:00",
            "slot_minutes": 30,
            "valid_from": "2025-01-01",
        },
    )

    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert doctor.working_hours.count() == 1


def test_it_shows_the_day_with_a_column_per_doctor_and_the_week_of_one(desk):
    first = doctor_with_hours(last_name="Aalto")
    doctor_with_hours(last_name="Berg")
    AppointmentFactory(doctor=first, start=at(9), end=at(10), patient__last_name="Virtanen")

    day = desk.get(reverse("appointments:calendar_day") + f"?day={MONDAY}").content.decode()
    week = desk.get(
        reverse("appointments:calendar_week") + f"?doctor={first.pk}&week={MONDAY}"
    ).content.decode()

    assert "Dr " + first.first_name in day and "Berg" in day and "Virtanen" in day
    assert 'rowspan="2"' in day  # a one-hour visit covers two 30-minute rows
    assert "Virtanen" in week and "Mon 04 Mar" in week

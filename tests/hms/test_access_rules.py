"""What the access rules do beyond a status code: what a page hides from a role, the object
rules on top of the permissions (a doctor's own timetable, visits and figures), and that an
allowed change really happens. Which role gets which page is tests/hms/test_url_access.py."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from doctors.models import Doctor
from reports.registry import REPORTS
from tests.appointments.factories import doctor_with_hours
from tests.clinical.factories import MedicationGivenFactory, checked_in_visit
from tests.factories import (
    AppointmentFactory,
    MedicalHistoryFactory,
    MedicationCostFactory,
    PatientFactory,
    ProcedureFeeFactory,
)
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def visit(doctor, patient):
    """A started visit of `patient` with the `doctor` fixture's doctor."""
    return checked_in_visit(doctor=doctor.doctor, patient=patient, started=True)


# --- Patients, appointments, timetables -------------------------------------------------------


def test_it_shows_a_doctor_their_own_timetable_only(login, doctor):
    own = Doctor.objects.get(user=doctor)
    other = doctor_with_hours()
    client = login(doctor)

    assert client.get(reverse("doctors:doctor_schedule", args=[own.pk])).status_code == 200
    assert client.get(reverse("doctors:doctor_schedule", args=[other.pk])).status_code == 403
    listing = client.get(reverse("doctors:schedule_list")).content.decode()
    assert own.last_name in listing and other.last_name not in listing


def test_it_lets_a_doctor_mark_their_own_patient_as_a_no_show(login, doctor):
    own = Doctor.objects.get(user=doctor)
    start = timezone.now() - datetime.timedelta(hours=1)
    appointment = AppointmentFactory(
        doctor=own, start=start, end=start + datetime.timedelta(minutes=30)
    )

    response = login(doctor).post(
        reverse("appointments:appointment_no_show", args=[appointment.pk])
    )

    appointment.refresh_from_db()
    assert response.status_code == 302 and appointment.status == "no_show"


def test_it_hides_booking_buttons_from_roles_that_only_view(login, billing_clerk, patient):
    html = (
        login(billing_clerk)
        .get(reverse("patients:patient_detail", args=[patient.pk]))
        .content.decode()
    )

    assert "Book an appointment" not in html and "Edit details" not in html


# --- Clinical -----------------------------------------------------------------------------------


def test_it_never_shows_diagnoses_or_notes_to_billing_clerks(login, billing_clerk, visit):
    visit.diagnosis = "Secret diagnosis"
    visit.notes = "Private note"
    visit.save()
    MedicalHistoryFactory(
        patient=visit.patient, kind="medication", description="Amoxicillin", attendance=visit
    )
    response = login(billing_clerk).get(reverse("clinical:billable_items", args=[visit.patient.pk]))
    assert response.status_code == 200
    assert "Amoxicillin" in response.text
    assert "Secret diagnosis" not in response.text
    assert "Private note" not in response.text


def test_it_shows_another_doctors_visit_read_only(login, other_doctor, visit):
    response = login(other_doctor).get(reverse("clinical:visit_record", args=[visit.pk]))
    assert response.status_code == 200
    assert "Complete visit" not in response.text
    assert 'id="visit-notes"' not in response.text


@pytest.mark.parametrize("role", ["doctor", "admin_user"])
def test_it_lets_the_visits_doctor_and_administrators_start_and_complete_it(
    request, login, doctor, patient, role
):
    attendance = checked_in_visit(doctor=doctor.doctor, patient=patient)
    MedicationGivenFactory(attendance=attendance)
    client = login(request.getfixturevalue(role))

    started = client.post(reverse("clinical:visit_start", args=[attendance.appointment.pk]))
    attendance.refresh_from_db()
    assert started.status_code == 302 and attendance.started_at is not None

    completed = client.post(reverse("clinical:visit_complete", args=[attendance.pk]))
    attendance.refresh_from_db()
    assert completed.status_code == 302 and attendance.completed_at is not None


@pytest.mark.parametrize("role", ["doctor", "admin_user"])
def test_it_lets_doctors_and_administrators_add_history(request, login, patient, role):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=allergy"
    response = login(request.getfixturevalue(role)).post(
        url, {"description": "Penicillin", "recorded_on": "2024-01-01"}
    )
    assert response.status_code == 302
    assert patient.history.filter(description="Penicillin").exists()


# --- Billing ------------------------------------------------------------------------------------


def test_it_hides_procedure_fees_from_doctors_and_shows_them_to_the_front_desk(
    login, doctor, front_desk
):
    ProcedureFeeFactory(name="Appendectomy")
    MedicationCostFactory(name="Metformin")

    seen_by_doctor = login(doctor).get(reverse("billing:price_list")).content.decode()
    assert "Metformin" in seen_by_doctor and "Appendectomy" not in seen_by_doctor
    seen_by_desk = login(front_desk).get(reverse("billing:price_list")).content.decode()
    assert "Metformin" in seen_by_desk and "Appendectomy" in seen_by_desk
    assert "Add a medication" not in seen_by_desk


# --- Reports ------------------------------------------------------------------------------------

REPORTS_OF = {
    "front_desk": {"appointments", "appointment-patterns"},
    "doctor": {"appointments", "doctor-workload", "waiting-times"},
    "billing_clerk": {"patient-bills", "revenue"},
    "admin_user": set(REPORTS),
    "outsider": set(),
}


def test_it_has_the_seven_reports_of_issue_6():
    assert set(REPORTS) == {
        "appointments",
        "doctor-workload",
        "patient-health",
        "patient-bills",
        "demographics",
        "appointment-patterns",
        "revenue",
        "waiting-times",  # issue 18
    }


@pytest.mark.parametrize("role", list(REPORTS_OF))
def test_it_lists_each_role_only_the_reports_it_may_open(request, login, role):
    response = login(request.getfixturevalue(role)).get(reverse("reports:report_list"))
    if not REPORTS_OF[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {r.name for r in response.context["reports"]} == REPORTS_OF[role]
    for name in REPORTS:
        link = reverse("reports:report_detail", args=[name])
        assert (f'href="{link}"' in response.text) == (name in REPORTS_OF[role])


def test_it_shows_a_doctor_only_their_own_appointments_and_workload(login, doctor, other_doctor):
    day = datetime.date(2024, 3, 4)
    mine = AppointmentFactory(doctor=doctor.doctor, start=at(day, 9), end=at(day, 9, 30))
    AppointmentFactory(doctor=other_doctor.doctor, start=at(day, 9), end=at(day, 9, 30))
    client = login(doctor)

    period = {"from": day, "to": day}  # the pages cover the last 90 days unless asked
    page = client.get(reverse("reports:report_detail", args=["appointments"]), period)
    assert [row[0] for row in page.context["rows"]] == [str(mine.pk)]
    assert "doctor" not in page.context["form"].fields  # no choosing another doctor
    assert doctor.doctor.code in page.text

    workload = client.get(reverse("reports:report_detail", args=["doctor-workload"]), period)
    assert [row[0] for row in workload.context["rows"]] == [doctor.doctor.code]

    csv = client.get(reverse("reports:report_csv", args=["appointments"]))
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{mine.pk},")


@pytest.mark.parametrize("route", ["reports:report_detail", "reports:report_csv"])
def test_it_refuses_a_doctor_asking_for_another_doctors_figures(login, doctor, other_doctor, route):
    client = login(doctor)
    url = reverse(route, args=["doctor-workload"])
    assert client.get(url, {"doctor": other_doctor.doctor.code}).status_code == 403
    assert client.get(url, {"doctor": doctor.doctor.code}).status_code == 200


def test_it_refuses_a_doctor_login_without_a_doctor_record(login, doctor):
    profile = doctor.doctor
    profile.user = None
    profile.save()
    response = login(doctor).get(reverse("reports:report_detail", args=["appointments"]))
    assert response.status_code == 403


def test_it_records_each_csv_export_in_the_audit_log(login, billing_clerk):
    login(billing_clerk).get(
        reverse("reports:report_csv", args=["revenue"]), {"from": "2024-01-01"}
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == billing_clerk
    assert event.changes == {"report": "revenue", "filters": {"from": "2024-01-01"}}

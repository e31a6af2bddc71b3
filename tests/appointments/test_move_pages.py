"""Moving an appointment to another doctor, and undoing a check-in, as the front desk does it:
through the pages, with who may and who may not."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import services as appointment_services
from appointments.models import Appointment, AppointmentStatus, AppointmentStatusChange, Attendance
from appointments.selectors import slot_choices
from core.models import AuditEvent
from tests.appointments.factories import MONDAY, TUESDAY, at, doctor_with_hours
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    InvoiceLineFactory,
    MedicalHistoryFactory,
    SpecialtyFactory,
)

pytestmark = pytest.mark.django_db
S = AppointmentStatus


@pytest.fixture
def desk(login, front_desk):
    return login(front_desk)


def value_of(slot_start, doctor):
    """The slot picker's radio value for `doctor`'s free slot at `slot_start`."""
    return next(
        choice.value
        for choice in slot_choices(
            doctors=[doctor], day_from=slot_start.date(), day_to=slot_start.date()
        )
        if choice.start == slot_start
    )


@pytest.fixture
def hopper():
    return doctor_with_hours(first_name="Grace", last_name="Hopper")


@pytest.fixture
def turing():
    """A colleague of another specialty, working Mondays too."""
    return doctor_with_hours(
        first_name="Alan", last_name="Turing", specialty=SpecialtyFactory(name="Neurology")
    )


@pytest.fixture
def booked(hopper):
    return AppointmentFactory(doctor=hopper, start=at(9), end=at(9, 30))


def reschedule(client, appointment, **data):
    url = reverse("appointments:appointment_reschedule", args=[appointment.pk])
    return client.post(url, {"action": "book", **data})


def moves_of(appointment):
    return AppointmentStatusChange.objects.filter(appointment=appointment, note__startswith="Resch")


# --- Reschedule to another doctor --------------------------------------------------------------


def test_it_offers_the_chosen_doctors_free_slots_on_the_reschedule_page(desk, booked, turing):
    AppointmentFactory(doctor=turing, start=at(10), end=at(10, 30))
    url = reverse("appointments:appointment_reschedule", args=[booked.pk])

    html = desk.get(f"{url}?doctor={turing.pk}&from_date={MONDAY}").content.decode()

    assert f'<option value="{turing.pk}" selected>' in html
    assert "data-guard-unsaved" in html
    assert f'value="{turing.pk}|{at(9, 30).isoformat()}|' in html  # free, the same length
    assert f'value="{turing.pk}|{at(10).isoformat()}|' not in html  # his 10:00 is taken
    # The picker alone (htmx) answers the same, for the doctor chosen in the select.
    fragment = desk.get(
        reverse("appointments:slot_picker"),
        {"appointment": booked.pk, "doctor": turing.pk, "from_date": MONDAY},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in fragment
    assert f'value="{turing.pk}|{at(9, 30).isoformat()}|' in fragment
    assert "with Dr Alan Turing" in fragment


def test_it_moves_an_appointment_to_another_doctor_and_keeps_both_in_the_history(
    desk, front_desk, booked, hopper, turing
):
    response = reschedule(desk, booked, doctor=turing.pk, slot=value_of(at(11), turing))

    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.doctor, booked.start, booked.end) == (turing, at(11), at(11, 30))
    change = moves_of(booked).get()
    assert (change.old_start, change.new_start, change.changed_by) == (at(9), at(11), front_desk)
    assert change.note == "Rescheduled from Dr Grace Hopper to Dr Alan Turing"
    audit = AuditEvent.objects.filter(
        object_type="appointments.appointment", object_id=str(booked.pk), action="update"
    ).get()
    assert audit.changes["doctor"] == {"before": hopper.pk, "after": turing.pk}
    assert audit.changes["start"]["before"] != audit.changes["start"]["after"]
    assert audit.actor == front_desk
    page = desk.get(response.url).content.decode()
    assert "Moved to Monday 04 March at 11:00 with Dr Alan Turing." in page
    assert "Rescheduled from Dr Grace Hopper to Dr Alan Turing" in page


def test_it_moves_to_another_doctor_at_the_same_time(desk, booked, turing):
    response = reschedule(desk, booked, doctor=turing.pk, slot=value_of(at(9), turing))

    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.doctor, booked.start) == (turing, at(9))
    assert "Moved to another doctor" in desk.get(response.url).content.decode()


def test_it_refuses_a_taken_slot_of_the_other_doctor_keeping_the_choice(desk, booked, turing):
    slot = value_of(at(11), turing)
    AppointmentFactory(doctor=turing, start=at(11), end=at(11, 30))  # since the page was shown

    response = reschedule(desk, booked, doctor=turing.pk, slot=slot, from_date=MONDAY)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr Alan Turing already has an appointment from 11:00 to 11:30" in html
    assert f'<option value="{turing.pk}" selected>' in html
    assert f'value="{MONDAY}"' in html
    unchanged = Appointment.objects.get(pk=booked.pk)
    assert (unchanged.doctor_id, unchanged.start) == (booked.doctor_id, at(9))
    assert not moves_of(booked).exists()


def test_it_turns_a_race_for_the_slot_into_a_message_keeping_the_choice(
    desk, booked, turing, monkeypatch
):
    slot = value_of(at(11), turing)
    AppointmentFactory(doctor=turing, start=at(11), end=at(11, 30))
    # The other desk's booking landed after our checks: only the exclusion constraint can tell.
    monkeypatch.setattr(
        appointment_services, "_resolve_and_check_slot", lambda **kw: kw["end"] or at(11, 30)
    )

    response = reschedule(desk, booked, doctor=turing.pk, slot=slot)

    html = response.content.decode()
    assert response.status_code == 200
    assert "That slot was just taken — pick another." in html
    assert f'<option value="{turing.pk}" selected>' in html
    booked.refresh_from_db()
    assert (booked.doctor.last_name, booked.start) == ("Hopper", at(9))
    assert not moves_of(booked).exists()


def test_it_refuses_a_time_the_other_doctor_does_not_work(desk, booked):
    tuesdays = doctor_with_hours(weekdays=(1,), first_name="Ada", last_name="Lovelace")
    # A slot of hers on a Tuesday, its day changed to Monday: a time she does not work.
    tuesday_slot = value_of(at(11, day=TUESDAY), tuesdays)
    monday_slot = tuesday_slot.replace(TUESDAY.isoformat(), MONDAY.isoformat())

    response = reschedule(desk, booked, doctor=tuesdays.pk, slot=monday_slot)

    assert response.status_code == 200
    assert "Dr Ada Lovelace does not work on Monday 04 March at 11:00" in response.content.decode()
    booked.refresh_from_db()
    assert (booked.doctor.last_name, booked.start) == ("Hopper", at(9))
    assert not moves_of(booked).exists()


def test_it_asks_for_a_slot_of_the_doctor_chosen(desk, booked, hopper, turing):
    # The select says Turing, the slot ticked before the change was Hopper's.
    response = reschedule(desk, booked, doctor=turing.pk, slot=value_of(at(11), hopper))

    assert response.status_code == 200
    assert "Pick a free slot of Dr Alan Turing." in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == at(9)


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_it_lets_only_the_desk_reschedule(request, login, booked, turing, role):
    client = login(request.getfixturevalue(role))

    response = reschedule(client, booked, doctor=turing.pk, slot=value_of(at(11), turing))

    assert response.status_code == 403
    booked.refresh_from_db()
    assert booked.doctor.last_name == "Hopper"


# --- Undo a check-in ---------------------------------------------------------------------------


def today_at_start():
    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time.min)
    )
    return max(now - datetime.timedelta(minutes=1), midnight)


@pytest.fixture
def checked_in(front_desk):
    """Today's appointment, checked in through the service (so with its Attendance)."""
    start = today_at_start()
    appointment = AppointmentFactory(start=start, end=start + datetime.timedelta(minutes=30))
    appointment_services.appointment_check_in(appointment=appointment, by=front_desk)
    appointment.refresh_from_db()
    return appointment


def undo_url(appointment):
    return reverse("appointments:appointment_undo_check_in", args=[appointment.pk])


def test_it_asks_before_undoing_a_check_in_and_changes_nothing_on_get(desk, checked_in):
    detail = desk.get(reverse("appointments:appointment_detail", args=[checked_in.pk]))
    assert undo_url(checked_in) in detail.content.decode()

    page = desk.get(undo_url(checked_in))

    html = page.content.decode()
    assert page.status_code == 200
    assert '<form method="post"' in html and "Undo the check-in" in html
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN
    assert Attendance.objects.filter(appointment=checked_in).exists()


def test_it_undoes_a_check_in_the_same_day_recording_who_and_when(desk, front_desk, checked_in):
    response = desk.post(undo_url(checked_in), follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "appointments:appointment_detail", args=[checked_in.pk]
    )
    html = response.content.decode()
    assert "undone: the appointment is scheduled again." in html
    checked_in.refresh_from_db()
    assert checked_in.status == S.SCHEDULED
    assert not Attendance.objects.filter(appointment=checked_in).exists()
    change = AppointmentStatusChange.objects.filter(appointment=checked_in).latest("id")
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        S.CHECKED_IN,
        S.SCHEDULED,
        "Check-in undone",
        front_desk,
    )
    assert abs(change.created_at - timezone.now()) < datetime.timedelta(minutes=1)
    moved = AuditEvent.objects.filter(
        object_type="appointments.appointment", object_id=str(checked_in.pk)
    ).latest("id")
    assert (moved.actor, moved.changes["status"]) == (
        front_desk,
        {"before": "checked_in", "after": "scheduled"},
    )
    removed = AuditEvent.objects.get(object_type="appointments.attendance", action="delete")
    assert removed.actor == front_desk and removed.patient_id == checked_in.patient_id
    # The patient can be checked in again when they really arrive.
    desk.post(reverse("appointments:appointment_check_in", args=[checked_in.pk]))
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN


def test_it_returns_to_arrivals_after_an_undo_from_there(desk, checked_in):
    arrivals = reverse("appointments:arrivals")
    html = desk.get(arrivals).content.decode()
    assert "Undo check-in" in html

    response = desk.post(undo_url(checked_in), {"next": f"{arrivals}#arrival-{checked_in.pk}"})

    assert response.url == f"{arrivals}#arrival-{checked_in.pk}"
    assert "Check in" in desk.get(arrivals).content.decode()


def test_it_refuses_to_undo_a_check_in_of_another_day(desk, front_desk):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(10)))
    visit = AttendanceFactory(
        appointment=AppointmentFactory(
            start=start, end=start + datetime.timedelta(minutes=30), status=S.CHECKED_IN
        )
    )

    response = desk.post(undo_url(visit.appointment), follow=True)

    assert "a check-in can only be undone on the same day" in response.content.decode()
    visit.appointment.refresh_from_db()
    assert visit.appointment.status == S.CHECKED_IN
    assert Attendance.objects.filter(pk=visit.pk).exists()


def test_it_refuses_to_undo_once_the_visit_started(desk, checked_in):
    Attendance.objects.filter(appointment=checked_in).update(started_at=timezone.now())
    detail = desk.get(reverse("appointments:appointment_detail", args=[checked_in.pk]))
    assert undo_url(checked_in) not in detail.content.decode()
    assert undo_url(checked_in) not in desk.get(reverse("appointments:arrivals")).content.decode()

    response = desk.post(undo_url(checked_in), follow=True)

    assert "can only be undone before the visit starts" in response.content.decode()
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN
    assert not AppointmentStatusChange.objects.filter(
        to_status=S.SCHEDULED, from_status=S.CHECKED_IN
    ).exists()


def test_it_refuses_to_undo_a_visit_with_entries_in_the_record(desk, checked_in):
    attendance = Attendance.objects.get(appointment=checked_in)
    MedicalHistoryFactory(patient=checked_in.patient, attendance=attendance)

    response = desk.post(undo_url(checked_in), follow=True)

    assert "already has entries in the patient&#x27;s record" in response.content.decode()
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN
    assert Attendance.objects.filter(pk=attendance.pk).exists()


def test_it_refuses_to_undo_a_visit_whose_consultation_is_on_an_invoice(desk, checked_in):
    attendance = Attendance.objects.get(appointment=checked_in)
    InvoiceLineFactory(
        invoice__patient=checked_in.patient,
        kind="consultation",
        source_key=f"attendance:{attendance.pk}",
    )

    response = desk.post(undo_url(checked_in), follow=True)

    assert "already on an invoice" in response.content.decode()
    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN


def test_it_says_there_is_nothing_to_undo_for_a_scheduled_appointment(desk):
    appointment = AppointmentFactory()

    assert "no check-in to undo" in desk.get(undo_url(appointment)).content.decode()
    response = desk.post(undo_url(appointment), follow=True)

    assert "A scheduled appointment cannot be set back to scheduled." in response.content.decode()


@pytest.mark.parametrize("role", ["doctor", "billing_clerk"])
def test_it_lets_neither_doctors_nor_billing_clerks_undo_a_check_in(
    request, login, checked_in, role
):
    client = login(request.getfixturevalue(role))

    assert client.get(undo_url(checked_in)).status_code == 403
    assert client.post(undo_url(checked_in)).status_code == 403

    checked_in.refresh_from_db()
    assert checked_in.status == S.CHECKED_IN
    detail = client.get(reverse("appointments:appointment_detail", args=[checked_in.pk]))
    assert undo_url(checked_in) not in detail.content.decode()


def test_it_lets_an_administrator_undo_a_check_in(login, admin_user, checked_in):
    client = login(admin_user)

    response = client.post(undo_url(checked_in))

    assert response.status_code == 302
    checked_in.refresh_from_db()
    assert checked_in.status == S.SCHEDULED

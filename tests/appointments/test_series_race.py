"""A desk books one occurrence's slot while another desk books the series: one of them wins,
the other hears which occurrence, and the series is never half-written. Real threads, each
with its own connection, committing (`transaction=True`)."""

import threading
import time

import pytest
from django.db import transaction

from appointments.models import Appointment, AppointmentSeries
from appointments.services import SlotUnavailable, appointment_book, series_book
from tests.appointments.factories import doctor_with_hours, tuesday
from tests.concurrency import together, waiting_on_a_lock
from tests.factories import PatientFactory


@pytest.mark.django_db(transaction=True)
def test_one_of_a_series_and_a_single_booking_of_its_slot_wins_at_once():
    doctor = doctor_with_hours(weekdays=(1,))
    patient, other = PatientFactory(), PatientFactory()

    outcomes = together(
        [
            lambda: series_book(
                patient=patient,
                doctor=doctor,
                start=tuesday(0),
                rule="FREQ=WEEKLY;COUNT=10",
                by=None,
            ),
            lambda: appointment_book(patient=other, doctor=doctor, start=tuesday(4), by=None),
        ]
    )

    series, single = outcomes
    assert isinstance(series, SlotUnavailable) != isinstance(single, SlotUnavailable), outcomes
    assert Appointment.objects.filter(doctor=doctor, start=tuesday(4)).count() == 1
    if isinstance(series, SlotUnavailable):
        assert f"{tuesday(4):%A %d %B} 10:00 (no. 5)" in str(series)
        assert not AppointmentSeries.objects.exists()
        assert not Appointment.objects.filter(patient=patient).exists()
    else:
        assert Appointment.objects.filter(patient=patient).count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_slot_taken_after_the_check_refuses_the_whole_series_naming_it():
    doctor = doctor_with_hours(weekdays=(1,))
    patient, other = PatientFactory(), PatientFactory()
    booked, commit = threading.Event(), threading.Event()

    def desk_booking_one_slot():
        # Books week 5 and holds its transaction open: the series' check does not see it, its
        # INSERT waits on the exclusion constraint, and sees it once this commits.
        with transaction.atomic():
            appointment_book(patient=other, doctor=doctor, start=tuesday(4), by=None)
            booked.set()
            assert commit.wait(timeout=60)

    def desk_booking_the_series():
        assert booked.wait(timeout=60)
        return series_book(
            patient=patient, doctor=doctor, start=tuesday(0), rule="FREQ=WEEKLY;COUNT=10", by=None
        )

    def release_once_the_series_waits():
        assert booked.wait(timeout=60)
        deadline = time.monotonic() + 60
        while not waiting_on_a_lock():  # the series' INSERT is blocked by the open booking
            assert time.monotonic() < deadline, "the series never waited for the slot"
            time.sleep(0.01)
        commit.set()

    one, series, _ = together(
        [desk_booking_one_slot, desk_booking_the_series, release_once_the_series_waits]
    )

    assert one is None
    assert isinstance(series, SlotUnavailable), series
    assert str(series).startswith(
        f"While this series was being booked, {tuesday(4):%A %d %B} 10:00 (no. 5) was just taken"
    )
    assert "nothing was booked" in str(series)
    assert not AppointmentSeries.objects.exists()
    assert not Appointment.objects.filter(patient=patient).exists()
    assert Appointment.objects.filter(doctor=doctor).count() == 1

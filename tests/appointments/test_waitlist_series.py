"""A series change that frees times and takes some of them again in one transaction offers
the waitlist only what stays free: a waiter is never told of a slot the same change books a
moment later (appointments.waitlist.offers.freeing_deferred)."""

import datetime

import pytest

from appointments.messaging.models import AppointmentMessage, MessageKind
from appointments.series_rule_services import series_change_rule
from appointments.series_services import ALL, series_cancel, series_reschedule
from appointments.services import series_book
from appointments.waitlist.entries import waitlist_add
from appointments.waitlist.models import OfferStatus, WaitlistOffer
from appointments.waitlist.offers import freeing_deferred, slot_freed
from tests.appointments.factories import TUESDAY, WEEK, doctor_with_hours, tuesday
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

HALF_HOUR = datetime.timedelta(minutes=30)


@pytest.fixture
def clinician():
    return doctor_with_hours(weekdays=(1,))


@pytest.fixture
def weekly(clinician):
    """Every Tuesday at 10:00, 6 times."""
    return series_book(
        patient=PatientFactory(),
        doctor=clinician,
        start=tuesday(0),
        rule="FREQ=WEEKLY;COUNT=6",
        by=None,
    )


@pytest.fixture
def waiters(clinician):
    """Six patients waiting for the doctor's Tuesday 10:00 over the weeks of the series (one
    open offer each at most, so six can hold every freed time)."""
    return [
        waitlist_add(
            patient=PatientFactory(),
            doctor=clinician,
            day_from=TUESDAY,
            day_to=TUESDAY + 10 * WEEK,
            earliest=datetime.time(10, 0),
            latest=datetime.time(10, 30),
            by=None,
        )
        for _ in range(6)
    ]


def offered() -> dict[datetime.datetime, str]:
    return dict(WaitlistOffer.objects.values_list("start", "status"))


def test_a_rule_change_keeping_the_times_offers_nothing(weekly, waiters, front_desk):
    series_change_rule(
        appointment=weekly[2], start=tuesday(2), rule="FREQ=WEEKLY;COUNT=6", by=front_desk
    )

    assert offered() == {}  # weeks 2 to 5 were freed and booked again at once
    assert not AppointmentMessage.objects.filter(kind=MessageKind.OFFERED).exists()


def test_a_rule_change_offers_the_weeks_it_gives_up(weekly, waiters, front_desk):
    series_change_rule(
        appointment=weekly[2],
        start=tuesday(2),
        rule="FREQ=WEEKLY;INTERVAL=2;COUNT=2",
        by=front_desk,
    )

    assert offered() == {tuesday(3): OfferStatus.OPEN, tuesday(5): OfferStatus.OPEN}
    assert AppointmentMessage.objects.filter(kind=MessageKind.OFFERED).count() == 2


def test_moving_a_whole_series_a_week_later_offers_only_the_first_week(weekly, waiters, front_desk):
    series_reschedule(appointment=weekly[0], start=tuesday(1), scope=ALL, by=front_desk)

    assert offered() == {tuesday(0): OfferStatus.OPEN}


def test_cancelling_a_series_offers_each_of_its_times_once(weekly, waiters, front_desk):
    series_cancel(appointment=weekly[3], scope=ALL, reason="Moved away", by=front_desk)

    assert offered() == {tuesday(week): OfferStatus.OPEN for week in range(6)}


def test_times_freed_in_a_block_that_fails_are_offered_to_nobody(clinician, waiters):
    with pytest.raises(RuntimeError), freeing_deferred():
        assert (
            slot_freed(doctor_id=clinician.pk, start=tuesday(1), end=tuesday(1) + HALF_HOUR) == []
        )
        raise RuntimeError("the transaction is rolled back")

    assert offered() == {}
    # Outside a block the hook offers at once again.
    assert slot_freed(doctor_id=clinician.pk, start=tuesday(1), end=tuesday(1) + HALF_HOUR)

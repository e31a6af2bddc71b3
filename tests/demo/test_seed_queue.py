"""The demo hospital shows today's check-in queue (issue 18): rooms on the display, a few
patients checked in through the desk's service, the first of each queue called."""

import pytest
from django.utils import timezone

from appointments.models import AppointmentStatus, QueueRoom, QueueTicket
from appointments.selectors import appointments_between
from demo.generator import seed
from demo.queue import CHECKED_IN, QUEUES
from doctors.models import Doctor

pytestmark = pytest.mark.django_db


def test_the_demo_hospital_has_rooms_and_todays_queues():
    seed(patients=60, doctors=4, days=7, seed=3, stdout=lambda line: None)

    rooms = dict(QueueRoom.objects.values_list("doctor__code", "room"))
    codes = list(Doctor.objects.order_by("code").values_list("code", flat=True))
    assert rooms == {code: f"Room {n}" for n, code in enumerate(codes, 1)}
    today = timezone.localdate()
    # Doctors with enough patients today (scheduled or checked in by the seed) get a queue.
    todays = appointments_between(day_from=today, day_to=today).filter(
        status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN)
    )
    busy = {d for d in todays.values_list("doctor__code", flat=True) if d}
    enough = sorted(c for c in busy if todays.filter(doctor__code=c).count() >= CHECKED_IN)
    queues = {}
    for ticket in QueueTicket.objects.select_related("doctor").order_by("number"):
        queues.setdefault(ticket.doctor.code, []).append(ticket)
    assert sorted(queues) == enough[:QUEUES]
    for tickets in queues.values():
        assert [t.number for t in tickets] == list(range(1, CHECKED_IN + 1))
        assert [t.number for t in tickets if t.called_at] == [1]
        assert all(t.day == today for t in tickets)

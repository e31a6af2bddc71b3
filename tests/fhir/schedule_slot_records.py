"""The metadata test's records and example values for Schedule and Slot
(tests/fhir/test_metadata.py): for each type a `wanted` row every example value finds and an
`other` row none finds.

Schedule's wanted doctor is the only inactive one and the only nephrologist; Slot's wanted
slot is the only free slot of the coming 31 days (the default window), on a day three days
ahead: its `other` is a colleague's slot that day, booked. So the other worlds' doctors must
have no working hours in the coming 31 days (none has)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from tests.factories import AppointmentFactory, DoctorFactory, SpecialtyFactory
from tests.factories import WorkingHoursFactory as Hours


def _day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=3)


def _one_slot(hour: int) -> Any:
    """A doctor whose hours give one 30-minute slot, at `hour` on _day()."""
    doctor = DoctorFactory()
    day = _day()
    Hours(
        doctor=doctor,
        weekday=day.weekday(),
        start_time=datetime.time(hour),
        end_time=datetime.time(hour, 30),
        valid_from=day,
        valid_until=day,
    )
    return doctor


def schedule_slot_world() -> dict[str, dict[str, Any]]:
    wanted, taken = _one_slot(9), _one_slot(10)
    start = timezone.make_aware(datetime.datetime.combine(_day(), datetime.time(10)))
    AppointmentFactory(doctor=taken, start=start, end=start + datetime.timedelta(minutes=30))
    utc = timezone.make_aware(datetime.datetime.combine(_day(), datetime.time(9)))
    slot_id = f"{wanted.pk}-{utc.astimezone(datetime.UTC):%Y%m%d%H%M}-30"
    return {
        "Schedule": {
            "wanted": DoctorFactory(specialty=SpecialtyFactory(name="Nephrology"), is_active=False),
            "other": DoctorFactory(specialty=SpecialtyFactory(name="Neurology")),
        },
        "Slot": {
            "wanted": SimpleNamespace(pk=slot_id, doctor=wanted),
            "other": SimpleNamespace(pk=f"{taken.pk}-…", doctor=taken),
        },
    }


SCHEDULE_SLOT_EXAMPLES = {
    ("Schedule", "actor"): lambda w: f"Practitioner/{w['Schedule']['wanted'].pk}",
    ("Schedule", "specialty"): lambda w: "nephrology",
    ("Schedule", "active"): lambda w: "false",
    ("Slot", "schedule"): lambda w: f"Schedule/{w['Slot']['wanted'].doctor.pk}",
    ("Slot", "start"): lambda w: _day().isoformat(),
    ("Slot", "status"): lambda w: "free",
}

"""The waitlist in the demo hospital (issue 18): a dozen patients waiting (for one doctor or a
specialty, every priority), and one cancellation of a visit in the coming days, through
`appointment_cancel` as the desk does, so its freed slot is offered to the first waiter: the
waitlist page and the day calendar show an open offer. A few dozen queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.services import appointment_cancel, waitlist_add
from appointments.waitlist.models import WaitlistOffer, WaitPriority
from doctors.models import Doctor
from patients.models import Patient

WAITERS = 12
FIRST_PATIENT_OFFSET = 40  # clear of the patients the other demo pieces use first
NOTES = ("Asked for the earliest time", "Mornings suit best", "", "Can come at short notice")


def seed_waitlist(
    *, doctor_ids: list[int], first_patient_id: int, stdout: Callable[[str], None] = print
) -> int:
    """Put WAITERS patients on the waitlist for the seeded hospital's first doctors (or their
    specialty) for the next fortnight, then cancel the first doctor's next scheduled visit
    after tomorrow: its slot is offered to the first of them. Returns the offers made."""
    doctors = list(Doctor.objects.active().filter(pk__in=doctor_ids[:3]).order_by("code"))
    patients = list(
        Patient.objects.active()
        .filter(pk__gte=first_patient_id)
        .order_by("pk")[FIRST_PATIENT_OFFSET : FIRST_PATIENT_OFFSET + WAITERS]
    )
    if not doctors or not patients:
        return 0
    today = timezone.localdate()
    priorities = (WaitPriority.NORMAL, WaitPriority.URGENT, WaitPriority.SOON, WaitPriority.ROUTINE)
    for n, patient in enumerate(patients):
        doctor = doctors[n % len(doctors)]
        wants = {"specialty": doctor.specialty} if n % 3 == 2 else {"doctor": doctor}
        waitlist_add(
            patient=patient,
            day_from=today,
            day_to=today + datetime.timedelta(days=14),
            priority=priorities[n % len(priorities)],
            note=NOTES[n % len(NOTES)],
            by=None,
            **wants,
        )
    visit = (
        Appointment.objects.filter(
            doctor=doctors[0],
            status=AppointmentStatus.SCHEDULED,
            start__gte=timezone.now() + datetime.timedelta(days=1),
        )
        .exclude(patient__in=patients)
        .order_by("start")
        .first()
    )
    before = WaitlistOffer.objects.count()
    if visit is not None:
        appointment_cancel(appointment=visit, reason="Patient called to cancel", by=None)
    offers = WaitlistOffer.objects.count() - before
    stdout(f"  ... {len(patients)} patients on the waitlist, {offers} freed slot offered")
    return offers

"""Two appointments of their own for the CapabilityStatement's test of every search parameter
(other worlds book visits for the shared patients and doctors): `wanted`, a no-show on 7 May
2029, matches every example value below, `other` none of them."""

from __future__ import annotations

import datetime

from appointments.models import AppointmentStatus
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory


def appointment_world(world: dict) -> dict:
    def booked(day: datetime.date, status: str, **fields):
        start = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
        return AppointmentFactory(
            patient=PatientFactory(),
            doctor=DoctorFactory(),
            start=start,
            end=start + datetime.timedelta(minutes=30),
            status=status,
            **fields,
        )

    return {
        "Appointment": {
            "wanted": booked(datetime.date(2029, 5, 7), AppointmentStatus.NO_SHOW),
            "other": booked(
                datetime.date(2028, 1, 10), AppointmentStatus.CANCELLED, cancel_reason="Unwell"
            ),
        }
    }


APPOINTMENT_EXAMPLES = {
    ("Appointment", "patient"): lambda w: f"Patient/{w['Appointment']['wanted'].patient_id}",
    ("Appointment", "practitioner"): lambda w: (
        f"Practitioner/{w['Appointment']['wanted'].doctor_id}"
    ),
    ("Appointment", "actor"): lambda w: f"Patient/{w['Appointment']['wanted'].patient_id}",
    ("Appointment", "date"): lambda w: "2029-05-07",
    ("Appointment", "status"): lambda w: "noshow",
}

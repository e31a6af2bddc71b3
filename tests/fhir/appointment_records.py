"""The appointments of the CapabilityStatement's test of every search parameter: those of the
clinical world's two visits (tests/fhir/clinical_records.py), the wanted patient's completed
one with the wanted doctor on 5 March 2024 and the other patient's checked-in one; `wanted`
matches every example value below, `other` none of them."""

from __future__ import annotations


def appointment_world(world: dict) -> dict:
    visits = world["Encounter"]
    return {
        "Appointment": {
            "wanted": visits["wanted"].appointment,
            "other": visits["other"].appointment,
        }
    }


APPOINTMENT_EXAMPLES = {
    ("Appointment", "patient"): lambda w: f"Patient/{w['Appointment']['wanted'].patient_id}",
    ("Appointment", "practitioner"): lambda w: (
        f"Practitioner/{w['Appointment']['wanted'].doctor_id}"
    ),
    ("Appointment", "actor"): lambda w: f"Patient/{w['Appointment']['wanted'].patient_id}",
    ("Appointment", "date"): lambda w: "2024-03-05",
    ("Appointment", "status"): lambda w: "fulfilled",
}

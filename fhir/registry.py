"""The resource types the API serves, by name: the one list the URLs, the searches and the
CapabilityStatement are made from. A new type is a module in fhir/mappings/ and a line here."""

from __future__ import annotations

from fhir.kinds import ResourceType
from fhir.mappings import (
    allergy_intolerance,
    appointment,
    audit_event,
    condition,
    encounter,
    invoice,
    medication_request,
    medication_statement,
    observation,
    patient,
    practitioner,
    practitioner_role,
    procedure,
    schedule,
    slot,
)

TYPES: dict[str, ResourceType] = {
    kind.name: kind
    for kind in (
        # Who: people and the hospital's doctors.
        patient.TYPE,
        practitioner.TYPE,
        practitioner_role.TYPE,
        # When: the doctors' free time, and the bookings.
        schedule.TYPE,
        slot.TYPE,
        appointment.TYPE,
        # What happened: the clinical record.
        encounter.TYPE,
        condition.TYPE,
        procedure.TYPE,
        medication_statement.TYPE,
        medication_request.TYPE,
        allergy_intolerance.TYPE,
        observation.TYPE,
        # What it cost, and who read what.
        invoice.TYPE,
        audit_event.TYPE,
    )
}

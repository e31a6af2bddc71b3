"""The resource types the API serves, by name: the one list the URLs, the searches and the
CapabilityStatement are made from. A new type is a module in fhir/mappings/ and a line here."""

from __future__ import annotations

from fhir.kinds import ResourceType
from fhir.mappings import patient, practitioner, practitioner_role

TYPES: dict[str, ResourceType] = {
    kind.name: kind for kind in (patient.TYPE, practitioner.TYPE, practitioner_role.TYPE)
}

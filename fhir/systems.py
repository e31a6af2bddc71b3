"""The URIs the resources name: the hospital's identifier systems and extensions (under
`settings.HMS_FHIR_SYSTEM_BASE`) and the HL7 code systems the mappings use."""

from __future__ import annotations

from django.conf import settings

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json; fhirVersion=4.0"
GENDER = "http://hl7.org/fhir/administrative-gender"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"


def _base() -> str:
    return settings.HMS_FHIR_SYSTEM_BASE


def mrn_system() -> str:
    """The system of a patient's MRN (Patient.identifier)."""
    return f"{_base()}/sid/mrn"


def doctor_code_system() -> str:
    """The system of a doctor's code, e.g. D0001 (Practitioner.identifier)."""
    return f"{_base()}/sid/doctor-code"


def birthdate_estimated() -> str:
    """The extension on Patient.birthDate saying the date was worked out from an age."""
    return f"{_base()}/StructureDefinition/birthdate-estimated"


def invoice_number_system() -> str:
    """The system of an invoice's number, e.g. INV-2026-000042 (Invoice.identifier)."""
    return f"{_base()}/sid/invoice-number"


def username_system() -> str:
    """The system of a login's username (AuditEvent.agent.who.identifier)."""
    return f"{_base()}/sid/username"


def invoice_line_kind_system() -> str:
    """The kinds of invoice line: medication, surgery, consultation, minimum_charge, other
    (Invoice.lineItem.chargeItemCodeableConcept)."""
    return f"{_base()}/CodeSystem/invoice-line-kind"

"""The URL table's rows for the FHIR API: the pages' roles, by token or session; JSON, never
the login page."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

from tests.hms.url_kit import (
    ADMIN,
    CLINICIANS,
    DENIED,
    EVERY_ROLE,
    INVOICE_VIEWERS,
    MISSING,
    OK,
    Row,
    allowed,
    expect,
)

# The FHIR API's refusal of a visitor (an OperationOutcome, not the login page).
UNAUTHORIZED = 401


def _fhir(response) -> None:
    """FHIR JSON that fhir.resources' R4B model of its resourceType validates."""
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    get_fhir_model_class(response.json()["resourceType"]).model_validate_json(response.content)


FHIR_ROWS: list[Row] = [
    # --- The FHIR API: the pages' roles, by token or session; JSON, never the login page ----
    # Its CapabilityStatement is open (no data); the rest answers 401 to a visitor.
    Row("fhir:metadata", expect(OK, anonymous=OK), check=_fhir),
    *[
        Row(
            f"fhir:{name}",
            expect(DENIED, anonymous=UNAUTHORIZED, **EVERY_ROLE),
            args=args,
            check=_fhir,
        )
        for name, args in [
            ("patient_search", ()),
            ("patient_read", ("patient",)),
            ("practitioner_search", ()),
            ("practitioner_read", ("own_doctor",)),
            ("practitionerrole_search", ()),
            ("practitionerrole_read", ("own_doctor",)),
            ("schedule_search", ()),
            ("schedule_read", ("own_doctor",)),
            ("slot_search", ()),
            ("appointment_search", ()),
            ("appointment_read", ("appointment",)),
        ]
    ],
    # Clinical types: the chart's roles; billing clerks the billable medications and surgeries.
    # Invoices: as the invoice pages (no doctors); the audit log: administrators only.
    *[
        Row(
            f"fhir:{name}",
            expect(DENIED, anonymous=UNAUTHORIZED, **readers),
            args=args,
            check=_fhir,
        )
        for name, args, readers in [
            ("encounter_search", (), CLINICIANS),
            ("encounter_read", ("visit",), CLINICIANS),
            ("condition_search", (), CLINICIANS),
            ("condition_read", ("entry",), CLINICIANS),
            ("allergyintolerance_search", (), CLINICIANS),
            ("allergyintolerance_read", ("allergy_entry",), CLINICIANS),
            ("medicationrequest_search", (), CLINICIANS),
            ("medicationrequest_read", ("rx_line",), CLINICIANS),
            ("observation_search", (), CLINICIANS),
            ("observation_read", ("observation",), CLINICIANS),
            ("procedure_search", (), {**CLINICIANS, "billing_clerk": OK}),
            ("procedure_read", ("surgery_entry",), {**CLINICIANS, "billing_clerk": OK}),
            ("invoice_search", (), INVOICE_VIEWERS),
            ("invoice_read", ("invoice",), INVOICE_VIEWERS),
            ("auditevent_search", (), ADMIN),
            ("auditevent_read", ("audit_event",), ADMIN),
            ("medicationstatement_search", (), {**CLINICIANS, "billing_clerk": OK}),
            (
                "medicationstatement_read",
                ("medication_entry",),
                {**CLINICIANS, "billing_clerk": OK},
            ),
        ]
    ],
    Row(
        "fhir:patient_everything",
        expect(DENIED, anonymous=UNAUTHORIZED, **EVERY_ROLE),
        args=("patient",),
        check=_fhir,
    ),
    # A slot that is not free (no hours here) is a 404 to those who may read slots.
    Row(
        "fhir:slot_read",
        expect(DENIED, anonymous=UNAUTHORIZED, **allowed(EVERY_ROLE, MISSING)),
        literal=("1-203003040900-30",),
    ),
    Row("fhir:unknown", expect(MISSING, anonymous=UNAUTHORIZED), literal=("R4/Immunization",)),
]

"""What the API writes for a resource made by `fhir.mappings.common.validated` (the JSON it was
validated from) is what fhir.resources would write for the model, element for element."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from fhir.resources.R4B.invoice import Invoice
from fhir.resources.R4B.patient import Patient

from fhir.mappings import patient as patient_mapping
from fhir.mappings.common import validated
from fhir.responses import fhir_json
from tests.factories import PatientFactory


def as_fhir_resources_writes(resource) -> dict:
    return json.loads(resource.model_dump_json())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"email": "", "phone": "", "address_line1": "", "city": "", "date_of_birth": None},
        {"dob_is_estimated": True, "first_name": "Zoë", "last_name": "O'Brien"},
        {"is_active": False, "emergency_contact_name": "", "emergency_contact_phone": ""},
    ],
)
def test_a_patient_is_written_as_fhir_resources_writes_it(fields):
    resource = patient_mapping.to_resource(PatientFactory(**fields))
    assert fhir_json(resource) == as_fhir_resources_writes(resource)


def test_empty_elements_inside_are_left_out_and_decimals_are_numbers():
    invoice = validated(
        Invoice,
        {
            "resourceType": "Invoice",
            "id": "7",
            "status": "issued",
            "date": datetime.datetime(2030, 3, 4, 9, 30, tzinfo=datetime.UTC),
            "note": [{"text": "Paid at the desk", "authorString": None}],
            "totalNet": {"value": Decimal("109605.10"), "currency": "EUR"},
            "totalGross": {"value": Decimal("12.00"), "currency": "EUR", "extension": []},
        },
    )
    written = fhir_json(invoice)
    assert written == as_fhir_resources_writes(invoice)
    assert written["totalNet"]["value"] == 109605.1
    assert written["totalGross"] == {"value": 12, "currency": "EUR"}
    assert written["date"] == "2030-03-04T09:30:00Z"
    assert written["note"] == [{"text": "Paid at the desk"}]


def test_a_text_that_looks_like_an_empty_element_is_kept():
    patient = validated(
        Patient,
        {"resourceType": "Patient", "id": "1", "name": [{"text": 'said ":null" and ":[]"'}]},
    )
    assert fhir_json(patient)["name"] == [{"text": 'said ":null" and ":[]"'}]

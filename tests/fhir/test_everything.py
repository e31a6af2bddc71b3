"""`Patient/<id>/$everything`: the patient and every resource of theirs the caller's role may
read, made from the registry's patient-compartment types (those that set `for_patient`)."""

from fhir.registry import TYPES

COMPARTMENT = [kind for kind in TYPES.values() if kind.for_patient is not None]


def test_the_patient_and_doctors_are_not_in_a_patients_compartment():
    assert TYPES["Patient"].for_patient is None
    assert TYPES["Practitioner"].for_patient is None
    assert TYPES["PractitionerRole"].for_patient is None


def test_every_compartment_type_is_audited_as_patient_data():
    """$everything writes the chart's audit row: a type that belongs to a patient names them."""
    assert [kind.name for kind in COMPARTMENT if kind.patient_ids is None] == []

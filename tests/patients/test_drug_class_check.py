"""patients 0010: an allergy's drug class already stored in another spelling of a known class
becomes that class; any other is taken off with a reason, the version that had it kept; then
the database refuses a class the allergy check does not know."""

import pytest
from django.db import IntegrityError, connection, transaction

from patients.models import HistoryKind, MedicalHistory
from tests.factories import MedicalHistoryFactory, PatientFactory


def test_it_writes_known_classes_as_such_and_takes_unknown_ones_off(migrating):
    # Written with today's models before the schema goes back: their later columns would not
    # be there to write (patients 0011's).
    patient = PatientFactory()
    entries = {
        spelt: MedicalHistoryFactory(
            patient=patient, kind=HistoryKind.ALLERGY, description=f"Allergy {n}"
        )
        for n, spelt in enumerate(
            ["Penicillin ", "Sulfonamide antibiotics", "betalactams", "opioids"]
        )
    }
    migrating.migrate([("patients", "0009_chart_indexes")])
    with connection.cursor() as cursor:
        for spelt, entry in entries.items():
            cursor.execute(
                "UPDATE patients_medicalhistory SET drug_class = %s WHERE id = %s",
                [spelt, entry.pk],
            )
    versions = dict(MedicalHistory.objects.values_list("pk", "version"))
    migrating.loader.build_graph()
    migrating.migrate(migrating.loader.graph.leaf_nodes())

    after = {spelt: MedicalHistory.objects.get(pk=entry.pk) for spelt, entry in entries.items()}
    assert {spelt: e.drug_class for spelt, e in after.items()} == {
        "Penicillin ": "penicillins",
        "Sulfonamide antibiotics": "sulfonamides",
        "betalactams": "",
        "opioids": "opioids",
    }
    stray = after["betalactams"]
    assert "Unknown drug class “betalactams” taken off" in stray.correction_reason
    assert stray.version == versions[stray.pk] + 1
    assert stray.revisions.get(version=versions[stray.pk]).drug_class == "betalactams"
    assert after["opioids"].version == versions[after["opioids"].pk]
    with pytest.raises(IntegrityError, match="drug_class_valid"), transaction.atomic():
        MedicalHistory.objects.filter(pk=stray.pk).update(drug_class="betalactams")

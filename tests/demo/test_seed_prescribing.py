"""The demo hospital's structured allergies (a penicillin allergy among them) and
prescriptions: each line linked to the visit's medication entry it bills through, so seeding
bills nothing twice; the allergy check stops amoxicillin for the penicillin patient."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from clinical import prescribing
from clinical.models import Prescription, PrescriptionLine
from patients.models import MedicalHistory

pytestmark = pytest.mark.django_db

SMALL = {"patients": 300, "doctors": 5, "days": 20, "seed": 7}


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out, **SMALL)
    return out.getvalue()


def test_a_few_structured_allergies_and_prescriptions_are_seeded(seeded):
    assert "structured allergies" in seeded and "prescription lines" in seeded
    structured = MedicalHistory.objects.filter(kind="allergy").exclude(severity="")
    assert 3 <= structured.count() <= 20
    penicillin = structured.filter(drug_class="penicillins", description="Penicillin").first()
    assert penicillin is not None
    assert (penicillin.reaction, penicillin.severity) == ("Hives and facial swelling", "severe")
    assert [
        a.description
        for a in prescribing.allergy_conflicts(patient=penicillin.patient, drug="Amoxicillin")
    ] == ["Penicillin"]

    lines = PrescriptionLine.objects.select_related("history_entry", "prescription__attendance")
    assert lines.count() >= 5
    assert Prescription.objects.values("number").distinct().count() == Prescription.objects.count()
    for line in lines:
        entry = line.history_entry
        assert entry.kind == "medication" and entry.is_billable
        assert entry.attendance_id == line.prescription.attendance_id
        assert (line.drug_name, line.quantity) == (entry.description, entry.quantity)
    # Every prescribed drug bills through its one entry: no line without one, no entry twice.
    assert not PrescriptionLine.objects.filter(history_entry__isnull=True).exists()
    assert not lines.exclude(prescription__created_at=F("prescription__attendance__completed_at"))

from decimal import Decimal

import pytest

from clinical import services
from tests.clinical.factories import checked_in_visit
from tests.factories import MedicationCostFactory, PatientFactory


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def visit(doctor, patient):
    """A started visit of `patient` with the `doctor` fixture's doctor."""
    return checked_in_visit(doctor=doctor.doctor, patient=patient, started=True)


@pytest.fixture
def amoxicillin(db):
    return MedicationCostFactory(name="Amoxicillin 500 mg capsules", unit_cost=Decimal("0.40"))


@pytest.fixture
def penicillin_allergy(doctor, patient):
    """A severe penicillin allergy of `patient`, with its drug class (amoxicillin matches)."""
    return services.allergy_record(
        patient=patient,
        substance="Penicillin",
        reaction="Hives and facial swelling",
        severity="severe",
        drug_class="penicillins",
        by=doctor,
    )

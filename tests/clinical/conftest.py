import pytest

from tests.clinical.factories import checked_in_visit
from tests.factories import PatientFactory


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def visit(doctor, patient):
    """A started visit of `patient` with the `doctor` fixture's doctor."""
    return checked_in_visit(doctor=doctor.doctor, patient=patient, started=True)

"""The patient reports' figures (patient health, demographics) against values worked
out here, in Python, from a small data set."""

import datetime

import pytest

from patients.models import HistoryKind, Sex
from reports import selectors
from tests.factories import MedicalHistoryFactory, MedicationCostFactory, PatientFactory

pytestmark = pytest.mark.django_db

# --- patient-health -----------------------------------------------------------------------


def test_it_counts_distinct_medications_and_surgeries_per_patient():
    lisinopril = MedicationCostFactory(name="Lisinopril")
    p1, p2, p3 = PatientFactory(mrn="P1"), PatientFactory(mrn="P2"), PatientFactory(mrn="P3")
    PatientFactory(mrn="P4")  # no history at all: not listed
    for description in ("Metformin", "metformin ", "Aspirin"):
        MedicalHistoryFactory(patient=p1, kind=HistoryKind.MEDICATION, description=description)
    for description in ("Appendectomy", " APPENDECTOMY"):
        MedicalHistoryFactory(patient=p1, kind=HistoryKind.SURGERY, description=description)
    MedicalHistoryFactory(patient=p1, kind=HistoryKind.CONDITION, description="Asthma")
    # Linked to the price list, the medication counts under its price-list name.
    MedicalHistoryFactory(
        patient=p2,
        kind=HistoryKind.MEDICATION,
        description="Lisinopril 10mg",
        medication=lisinopril,
    )
    MedicalHistoryFactory(patient=p2, kind=HistoryKind.MEDICATION, description="LISINOPRIL")
    MedicalHistoryFactory(
        patient=p2,
        kind=HistoryKind.SURGERY,
        description="Knee replacement",
        recorded_on=datetime.date(2020, 1, 1),
    )
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.CONDITION, description="Migraine")
    # Imported "nothing": no surgery, no medication.
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.SURGERY, description="None")
    MedicalHistoryFactory(patient=p3, kind=HistoryKind.MEDICATION, description=" - ")

    rows = list(selectors.patient_health_report().rows)

    name = {p.mrn: f"{p.first_name} {p.last_name}" for p in (p1, p2, p3)}
    assert [r[:4] for r in rows] == [
        ("P1", name["P1"], 2, 1),
        ("P2", name["P2"], 1, 1),
        ("P3", name["P3"], 0, 0),
    ]
    assert rows[0][4:] == ("aspirin; metformin", "appendectomy")

    recent = list(selectors.patient_health_report(date_from=datetime.date(2021, 1, 1)).rows)
    assert [r[:4] for r in recent] == [
        ("P1", name["P1"], 2, 1),
        ("P2", name["P2"], 1, 0),
        ("P3", name["P3"], 0, 0),
    ]
    assert list(selectors.patient_health_report(date_to=datetime.date(2020, 12, 31)).rows) == [
        ("P2", name["P2"], 0, 1, "", "knee replacement")
    ]


# --- demographics -------------------------------------------------------------------------


def _age(dob: datetime.date, today: datetime.date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def test_it_counts_active_patients_by_age_band_and_sex():
    today = datetime.date(2024, 6, 1)
    people = [
        (Sex.FEMALE, datetime.date(1994, 6, 1)),  # 30 today
        (Sex.FEMALE, datetime.date(1994, 6, 2)),  # 29 until tomorrow
        (Sex.MALE, datetime.date(1993, 1, 1)),
        (Sex.MALE, datetime.date(1930, 1, 1)),  # 94: 90+
        (Sex.OTHER, datetime.date(2020, 1, 1)),
        (Sex.UNKNOWN, None),
        (Sex.FEMALE, None),
    ]
    for sex, dob in people:
        PatientFactory(sex=sex, date_of_birth=dob)
    PatientFactory(sex=Sex.MALE, date_of_birth=datetime.date(1994, 1, 1), is_active=False)

    rows = list(selectors.demographics_report(today=today).rows)

    def band(dob):
        if dob is None:
            return "unknown"
        age = _age(dob, today)
        return "90+" if age >= 90 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"

    assert [r[0] for r in rows] == [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+", "unknown"]
    for row in rows:
        here = [sex for sex, dob in people if band(dob) == row[0]]
        assert row[1:] == (
            here.count(Sex.FEMALE),
            here.count(Sex.MALE),
            here.count(Sex.OTHER),
            here.count(Sex.UNKNOWN),
            len(here),
        )
    assert dict((r[0], r[5]) for r in rows)["30-34"] == 2

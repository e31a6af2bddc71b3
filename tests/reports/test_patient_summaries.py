"""The summaries behind patient-health and demographics (reports.models, kept by triggers)
against figures worked out here in Python from the rows themselves, after every kind of
write; and patient-health's pages by MRN."""

import datetime
from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import MedicationCost
from core.nothing import is_nothing
from patients.models import HistoryKind, MedicalHistory, Patient, Sex
from reports import selectors
from reports.models import DemographicCount, PatientHealthSummary
from reports.registry import REPORTS
from reports.selectors import BadPageKey
from tests.factories import MedicalHistoryFactory, MedicationCostFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _names(entries, kind) -> set[str]:
    names = set()
    for e in entries:
        if e.kind == kind and not is_nothing(e.description):
            name = e.medication.name if e.medication_id else e.description
            names.add(name.strip(" ").lower())
    return names


def _expected_health() -> dict[int, tuple]:
    """Per patient with history: (entries, medications, surgeries) from the rows in Python."""
    by_patient: dict[int, list[MedicalHistory]] = {}
    for entry in MedicalHistory.objects.select_related("medication"):
        by_patient.setdefault(entry.patient_id, []).append(entry)
    return {
        pid: (
            len(rows),
            _names(rows, HistoryKind.MEDICATION),
            _names(rows, HistoryKind.SURGERY),
        )
        for pid, rows in by_patient.items()
    }


def _summaries() -> dict[int, tuple]:
    found = {}
    for s in PatientHealthSummary.objects.filter(entries__gt=0):
        meds = set(s.medications.split("; ")) if s.medications else set()
        surgeries = set(s.surgeries.split("; ")) if s.surgeries else set()
        assert (s.distinct_medications, s.distinct_surgeries) == (len(meds), len(surgeries))
        found[s.patient_id] = (s.entries, meds, surgeries)
    return found


def _expected_demographics() -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for dob, sex in Patient.objects.filter(is_active=True).values_list("date_of_birth", "sex"):
        counts[(dob, sex)] = counts.get((dob, sex), 0) + 1
    return counts


def _demographics() -> dict[tuple, int]:
    return {
        (d.date_of_birth, d.sex): d.patients
        for d in DemographicCount.objects.filter(patients__gt=0)
    }


def test_the_summaries_follow_every_kind_of_write():
    aspirin = MedicationCostFactory(name="Aspirin")
    ann = PatientFactory(sex=Sex.FEMALE, date_of_birth=datetime.date(1980, 5, 1))
    bob = PatientFactory(sex=Sex.MALE, date_of_birth=datetime.date(1980, 5, 1))
    cy = PatientFactory(sex=Sex.OTHER, date_of_birth=None)
    med = MedicalHistoryFactory(patient=ann, kind=HistoryKind.MEDICATION, description="ASA")
    MedicalHistoryFactory(patient=ann, kind=HistoryKind.MEDICATION, description=" metformin ")
    MedicalHistoryFactory(patient=ann, kind=HistoryKind.SURGERY, description="N/A")
    gone = MedicalHistoryFactory(patient=bob, kind=HistoryKind.SURGERY, description="Bypass")
    MedicalHistoryFactory(patient=bob, kind=HistoryKind.CONDITION, description="Asthma")
    assert _summaries()[ann.pk] == (3, {"asa", "metformin"}, set())

    # An edit: linked to the price list, the medication counts under its price-list name.
    med.medication = aspirin
    med.save()
    assert _summaries()[ann.pk] == (3, {"aspirin", "metformin"}, set())
    # The price list renamed: its patients follow.
    MedicationCost.objects.filter(pk=aspirin.pk).update(name="Acetylsalicylic acid ")
    assert _summaries()[ann.pk][1] == {"acetylsalicylic acid", "metformin"}
    # A delete, and an entry moved to another patient.
    gone.delete()
    MedicalHistory.objects.filter(patient=bob).update(patient=cy)
    # Patient edits: a birth date, a sex, a deactivation.
    Patient.objects.filter(pk=ann.pk).update(date_of_birth=datetime.date(1990, 1, 2))
    bob.sex = Sex.UNKNOWN
    bob.save()
    Patient.objects.filter(pk=cy.pk).update(is_active=False)
    PatientFactory.create_batch(3, sex=Sex.FEMALE, date_of_birth=datetime.date(2001, 2, 3))

    # A raw SQL write as the application's role, as psql or a bulk loader would do it.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patients_medicalhistory (created_at, updated_at, patient_id, kind, "
            "description, recorded_on, is_billable, legacy_id, correction_reason) VALUES "
            "(now(), now(), %s, 'surgery', ' Hip  ', current_date, true, '', ''), "
            "(now(), now(), %s, 'surgery', 'HIP', current_date, true, '', '')",
            [cy.pk, ann.pk],
        )
        cursor.execute("UPDATE patients_patient SET sex = 'female' WHERE id = %s", [bob.pk])

    assert _summaries() == _expected_health()
    assert _summaries()[cy.pk] == (2, set(), {"hip"})
    assert bob.pk not in _summaries()  # nothing left in bob's history
    assert _demographics() == _expected_demographics()
    assert _demographics()[(datetime.date(1980, 5, 1), Sex.FEMALE)] == 1  # bob, now female

    # A patient without history deleted: the counts drop them.
    PatientFactory(sex=Sex.MALE, date_of_birth=datetime.date(1970, 1, 1)).delete()
    assert _demographics() == _expected_demographics()


def _walk(size: int, **period) -> list[str]:
    """Every MRN of the report, page after page of `size` by the page token."""
    mrns, after = [], None
    while True:
        rows = list(
            selectors.patient_health_report(limit=size, after=after, keyed=True, **period).rows
        )
        mrns += [row[0] for row in rows]
        if len(rows) < size:
            return mrns
        after = rows[-1][-1]


def test_the_pages_list_every_patient_once_in_mrn_order():
    for i in range(11):
        patient = PatientFactory(mrn=f"M{i:03d}")
        if i % 3 != 1:  # every third patient has no history: never listed
            day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i)
            MedicalHistoryFactory(patient=patient, kind=HistoryKind.SURGERY, recorded_on=day)
    everyone = [r[0] for r in selectors.patient_health_report().rows]
    assert everyone == [f"M{i:03d}" for i in range(11) if i % 3 != 1]

    assert _walk(3) == everyone
    assert _walk(1) == everyone
    # With a period, the same walk lists those with history in it.
    period = {"date_from": datetime.date(2024, 1, 3), "date_to": datetime.date(2024, 1, 9)}
    assert _walk(2, **period) == ["M002", "M003", "M005", "M006", "M008"]
    # A page's rows carry their token last; the columns are the report's.
    row = next(iter(selectors.patient_health_report(limit=1, keyed=True).rows))
    assert len(row) == len(selectors.PATIENT_HEALTH_COLUMNS) + 1 and row[-1] == "M000"


@pytest.mark.parametrize("token", ["", "M" * 21, "M0\x00", "M\n1"])
def test_a_token_it_cannot_read_is_a_bad_page_key(token):
    with pytest.raises(BadPageKey):
        list(selectors.patient_health_report(after=token).rows)


def _page_queries(client, query) -> tuple[int, list]:
    url = reverse("reports:report_detail", args=["patient-health"])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured), response.context["rows"]


def _patients(start: int, n: int) -> None:
    for i in range(start, start + n):
        patient = PatientFactory(mrn=f"Q{i:04d}")
        for kind in (HistoryKind.MEDICATION, HistoryKind.SURGERY):
            MedicalHistoryFactory(patient=patient, kind=kind, recorded_on=datetime.date(2024, 2, 1))


@pytest.mark.parametrize("period", [{}, {"from": "2024-01-01", "to": "2024-12-31"}])
def test_a_page_costs_the_same_queries_at_two_sizes(login, admin_user, monkeypatch, period):
    monkeypatch.setitem(REPORTS, "patient-health", replace(REPORTS["patient-health"], paged=True))
    client = login(admin_user)
    _patients(0, 4)
    client.get(reverse("reports:report_detail", args=["patient-health"]), period)
    few, rows = _page_queries(client, period)
    assert [r[0] for r in rows] == ["Q0000", "Q0001", "Q0002", "Q0003"]
    _patients(4, 116)
    many, rows = _page_queries(client, period)
    assert many == few
    assert [r[0] for r in rows] == [f"Q{i:04d}" for i in range(50)]
    deep, rows = _page_queries(client, {**period, "after": "Q0100"})
    assert deep == few
    assert [r[0] for r in rows] == [f"Q{i:04d}" for i in range(101, 120)]
    # A token it cannot read: the first page.
    _, rows = _page_queries(client, {**period, "after": "Q" * 30})
    assert [r[0] for r in rows] == [f"Q{i:04d}" for i in range(50)]

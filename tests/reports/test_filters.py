"""The reports' specialty and patient filters: on the page, in the CSV link and the command."""

import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from appointments.models import AppointmentStatus
from core.models import AuditEvent
from patients.models import HistoryKind
from tests.factories import (
    AppointmentFactory,
    DoctorFactory,
    MedicalHistoryFactory,
    PatientFactory,
    SpecialtyFactory,
)
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 4)
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


@pytest.fixture
def clinic():
    heart, skin = SpecialtyFactory(name="Cardiology"), SpecialtyFactory(name="Dermatology")
    ann = DoctorFactory(code="D0100", specialty=heart)
    bob = DoctorFactory(code="D0200", specialty=skin)
    cy = DoctorFactory(code="D0300", specialty=heart)
    for hour, doctor, status in [
        (9, ann, AppointmentStatus.COMPLETED),
        (10, bob, AppointmentStatus.NO_SHOW),
        (11, cy, AppointmentStatus.CANCELLED),
        (12, bob, AppointmentStatus.COMPLETED),
    ]:
        AppointmentFactory(doctor=doctor, start=at(DAY, hour), end=at(DAY, hour, 30), status=status)
    return heart, skin


def _page(client, name, **query):
    return client.get(reverse("reports:report_detail", args=[name]), query)


def test_appointments_of_one_specialty_with_its_status_counts(login, front_desk, clinic):
    response = _page(login(front_desk), "appointments", specialty="Cardiology", **PERIOD)
    assert [row[3] for row in response.context["rows"]] == ["D0100", "D0300"]
    counts = {status: n for status, _, n in response.context["status_counts"]}
    assert counts["completed"] == 1 and counts["cancelled"] == 1 and counts["no_show"] == 0
    assert response.context["total"] == 2
    assert "specialty=Cardiology" in response.context["csv_query"].urlencode()
    assert '<option value="Cardiology" selected>' in response.text


def test_doctor_workload_of_one_specialty(login, admin_user, clinic):
    response = _page(login(admin_user), "doctor-workload", specialty="Dermatology", **PERIOD)
    rows = response.context["rows"]
    assert [(row[0], row[3], row[4], row[6]) for row in rows] == [("D0200", 2, 1, 1)]
    csv_response = login(admin_user).get(
        reverse("reports:report_csv", args=["doctor-workload"]),
        {"specialty": "Dermatology", **PERIOD},
    )
    lines = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert [line[0] for line in lines[1:]] == ["D0200"]


def test_an_unknown_specialty_is_explained(login, admin_user, clinic):
    response = _page(login(admin_user), "appointments", specialty="Astrology", **PERIOD)
    assert response.status_code == 200
    assert "Pick a specialty from the list." in response.text


@pytest.fixture
def patients():
    found = [
        PatientFactory(mrn="P0000101", first_name="Zoë", last_name="O'Brien"),
        PatientFactory(mrn="P0000102", first_name="Zoe", last_name="Obrien-Smith"),
        PatientFactory(mrn="P0000103", first_name="Sam", last_name="Quillfeather"),
    ]
    for patient in found:
        MedicalHistoryFactory(patient=patient, kind=HistoryKind.MEDICATION, description="Aspirin")
    return found


def _mrns(response) -> list[str]:
    return [row[0] for row in response.context["rows"]]


@pytest.mark.parametrize("name", ["patient-bills", "patient-health"])
def test_patient_reports_find_patients_by_name_or_mrn(login, admin_user, patients, name):
    client = login(admin_user)
    # Part of a name, whatever its accents and case.
    assert _mrns(_page(client, name, patient="ZOE O")) == ["P0000101", "P0000102"]
    # An MRN exactly, as typed or in lower case.
    assert _mrns(_page(client, name, patient="p0000103")) == ["P0000103"]
    # Nothing matching: an empty page, not an error.
    nobody = _page(client, name, patient="Nobody")
    assert nobody.status_code == 200 and _mrns(nobody) == []
    assert "Nothing to show for these filters." in nobody.text


def test_the_patient_filter_pages_and_keeps_what_was_typed(login, admin_user, patients):
    client = login(admin_user)
    url = reverse("reports:report_detail", args=["patient-bills"])
    first = client.get(url, {"patient": "zoe", "size": 1})
    assert _mrns(first) == ["P0000101"]
    assert 'value="zoe"' in first.text
    second = client.get(f"{url}?{first.context['next_page']}")
    assert _mrns(second) == ["P0000102"] and second.context["next_page"] is None


def test_the_patient_filter_is_audited_with_the_patients_shown(login, admin_user, patients):
    _page(login(admin_user), "patient-health", patient="Quillfeather")
    event = AuditEvent.objects.filter(changes__report="patient-health").latest("id")
    assert event.changes["filters"] == {"patient": "Quillfeather"}


def test_the_command_takes_specialty_and_patient(clinic, patients):
    out = io.StringIO()
    call_command(
        "report", "appointments", "--format", "csv", "--specialty", "cardiology", "--from",
        "2024-03-01", stdout=out,
    )  # fmt: skip
    assert [row[3] for row in list(csv.reader(io.StringIO(out.getvalue())))[1:]] == [
        "D0100",
        "D0300",
    ]
    out = io.StringIO()
    call_command(
        "report", "patient-bills", "--format", "csv", "--patient", "Quillfeather", stdout=out
    )
    assert [row[0] for row in list(csv.reader(io.StringIO(out.getvalue())))[1:]] == ["P0000103"]
    with pytest.raises(CommandError, match="No specialty 'Astrology'; there are: Cardiology"):
        call_command("report", "appointments", "--specialty", "Astrology")
    with pytest.raises(CommandError, match="takes no --patient"):
        call_command("report", "appointments", "--patient", "Lee")

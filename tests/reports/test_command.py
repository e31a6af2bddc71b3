"""`manage.py report NAME [--format csv|table] [--from DATE] [--to DATE] [--doctor CODE]`."""

import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from appointments.models import AppointmentStatus
from reports import selectors
from tests.factories import AppointmentFactory, DoctorFactory, PatientFactory
from tests.reports.helpers import at

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def march():
    ann = DoctorFactory(code="D0001", first_name="Ann", last_name="Adams")
    bob = DoctorFactory(code="D0002", first_name="Bob", last_name="Brown")
    patient = PatientFactory(mrn="P0001", first_name="Pat", last_name="Lee")
    for day, doctor, status in [
        (4, ann, AppointmentStatus.COMPLETED),
        (5, ann, AppointmentStatus.NO_SHOW),
        (6, bob, AppointmentStatus.CANCELLED),
        (20, ann, AppointmentStatus.SCHEDULED),
    ]:
        date = datetime.date(2024, 3, day)
        AppointmentFactory(
            doctor=doctor, patient=patient, start=at(date, 9), end=at(date, 9, 30), status=status
        )
    return ann, bob


def test_it_prints_a_report_as_csv_with_the_filters(march):
    ann, _ = march
    out = _run("appointments", "--format", "csv", "--from", "2024-03-05", "--doctor", "D0001")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:7] == [
        "appointment_id",
        "mrn",
        "patient_name",
        "doctor_code",
        "start",
        "end",
        "status",
    ]
    expected = selectors.appointments_report(date_from=datetime.date(2024, 3, 5), doctor=ann)
    assert rows[1:] == [[str(v) for v in row] for row in expected.rows]
    assert [(r[4], r[6]) for r in rows[1:]] == [
        ("2024-03-05 09:00", "no_show"),
        ("2024-03-20 09:00", "scheduled"),
    ]


def test_it_prints_a_readable_table_by_default(march):
    out = _run("doctor-workload", "--from", "2024-03-01", "--to", "2024-03-10")
    lines = out.splitlines()
    assert lines[0].split() == [
        "doctor_code",
        "doctor_name",
        "specialty",
        "total",
        "completed",
        "cancelled",
        "no_show",
        "scheduled",
        "checked_in",
        "booked_hours",
        "working_hours",
        "utilization_pct",
    ]
    assert set(lines[1]) == {"-", " "}
    ann = next(line for line in lines if line.startswith("D0001"))
    assert "Ann Adams" in ann
    # total 2 (completed + no-show) in March 1–10; numbers are aligned right under their header
    total_end = lines[0].index("total") + len("total")
    assert ann[:total_end].endswith(" 2")
    assert len(lines) == 4


def test_it_prints_every_report_in_both_formats(march):
    for name in (
        "appointments",
        "doctor-workload",
        "patient-health",
        "patient-bills",
        "demographics",
        "appointment-patterns",
        "revenue",
    ):
        table = _run(name, "--format", "table")
        listed = list(csv.reader(io.StringIO(_run(name, "--format", "csv"))))
        assert table.splitlines()[0].split() == listed[0]
        assert len(table.splitlines()) == len(listed) + 1  # the dashes under the header


@pytest.mark.parametrize(
    "args, message",
    [
        (["appointments", "--doctor", "D9999"], "No doctor has the code 'D9999'."),
        (["demographics", "--doctor", "D0001"], "The demographics report takes no --doctor."),
        (["patient-bills", "--from", "2024-01-01"], "The patient-bills report takes no --from."),
        (["revenue", "--from", "2024-03-01", "--to", "2024-02-01"], "--to is before --from."),
    ],
)
def test_it_refuses_filters_it_cannot_apply(march, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_it_refuses_an_unknown_report_or_date():
    with pytest.raises(CommandError):
        _run("nonsense")
    with pytest.raises(CommandError):
        _run("appointments", "--from", "2024-02-30")

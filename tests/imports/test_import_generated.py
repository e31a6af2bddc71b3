"""A generated workbook (the one `bench/make_workbook.py` writes for timing, at a small size)
imports cleanly, and a second import of it changes nothing."""

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

from appointments.models import Appointment, Attendance
from imports.services import workbook_import
from patients.models import Patient

pytestmark = pytest.mark.django_db


def _make_workbook():
    path = Path(settings.BASE_DIR) / "bench" / "make_workbook.py"
    spec = importlib.util.spec_from_file_location("make_workbook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workbook


def test_it_imports_a_generated_workbook_and_then_changes_nothing(tmp_path):
    rows = _make_workbook()(
        tmp_path / "wb", patients=300, appointments=3000, doctors=12, history=500, seed=7
    )

    first = workbook_import(path_or_file=tmp_path / "wb")
    second = workbook_import(path_or_file=tmp_path / "wb")

    assert first.ok, [str(p) for p in first.errors[:5]]
    assert first.rows_read == rows
    assert Patient.objects.count() == rows["Patient"]
    assert Appointment.objects.count() == rows["Appointment"]
    assert Attendance.objects.count() == rows["PatientsAttendAppointments"]
    assert second.ok
    assert not second.changed
    assert second.counts["Appointment"].unchanged == rows["Appointment"]

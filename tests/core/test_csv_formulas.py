"""CSV downloads neutralise cells a spreadsheet would run as a formula (OWASP "CSV
Injection"): text starting with =, +, -, @, a tab or a carriage return comes out behind a single
quote; numbers from numeric columns stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from core import audit
from core.csvstream import csv_lines, safe_cell
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


def _rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_quotes_text_that_starts_like_a_formula(start):
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["Hall", "P0001", " =1", "a=b", "", None, 3])
def test_it_leaves_other_cells_as_they_are(value):
    assert safe_cell(value) == value


def test_it_keeps_numbers_numeric_even_when_negative():
    lines = list(csv_lines(["amount", "note"], [(Decimal("-12.50"), "-12.50"), (-3, "x")]))
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[1:] == [["-12.50", "'-12.50"], ["-3", "x"]]


def test_it_writes_a_formula_named_patient_as_text_in_a_report(login, admin_user):
    patient = PatientFactory(first_name=FORMULA, last_name="")
    AppointmentFactory(patient=patient)

    response = login(admin_user).get(reverse("reports:report_csv", args=["appointments"]))

    row = next(r for r in _rows(response) if r["mrn"] == patient.mrn)
    assert row["patient_name"] == "'" + FORMULA


def test_it_writes_a_formula_in_the_audit_export_as_text(login, admin_user):
    patient = PatientFactory(first_name="@SUM(A1:A9)", last_name="")
    audit.audit_record(actor=admin_user, action=audit.Action.VIEW, obj=patient)

    response = login(admin_user).get(reverse("clinical:audit_csv"))

    objects = [r["object"] for r in _rows(response)]
    assert f"'@SUM(A1:A9) ({patient.mrn})" in objects
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in objects)

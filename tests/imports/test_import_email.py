"""E-mail addresses with letters of any alphabet before the @ (RFC 6531) import as written."""

import pytest

from doctors.models import Doctor
from imports.services import workbook_import
from patients.models import Patient
from tests.imports.helpers import write_workbook

pytestmark = pytest.mark.django_db


def _workbook(folder, patient_email):
    return write_workbook(
        folder,
        Doctor=[None, ["D1", "Zoë", "O'Brien", "Cardiology", "", "zoë.obrien@example.org"]],
        Patient=[
            None,
            ["P1", "José", "Muñoz", "M", "40", "", patient_email],
            ["P2", "Ana", "Ruiz", "F", "30", "", "ana@example.org"],
        ],
    )


def test_it_imports_and_stores_international_addresses(tmp_path):
    report = workbook_import(path_or_file=_workbook(tmp_path / "wb", "josé.muñoz@example.org"))

    assert report.ok, [str(p) for p in report.errors]
    assert Doctor.objects.get(code="D1").email == "zoë.obrien@example.org"
    assert Patient.objects.get(mrn="P1").email == "josé.muñoz@example.org"

    again = workbook_import(path_or_file=_workbook(tmp_path / "wb", "josé.muñoz@example.org"))
    assert not again.changed


@pytest.mark.parametrize("email", ["not-an-email", "a b@example.org", "josé muñoz@example.org"])
def test_it_still_reports_an_address_that_is_not_one(tmp_path, email):
    report = workbook_import(path_or_file=_workbook(tmp_path / "wb", email))

    assert [str(p) for p in report.errors] == [
        f"Patient row 2, Email: {email!r} is not an email address"
    ]
    assert not Patient.objects.exists()

"""History entries: added from the chart, corrected with every earlier version kept."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.urls import reverse

from clinical import services
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision
from tests.factories import MedicalHistoryFactory, MedicationCostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(patient, doctor):
    return services.history_entry_create(
        patient=patient,
        kind=HistoryKind.MEDICATION,
        description="Metformin 500 mg",
        recorded_on=datetime.date(2024, 3, 1),
        by=doctor,
    )


def test_it_adds_an_entry_from_the_chart_not_billable(login, doctor, patient):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=surgery"
    response = login(doctor).post(
        url, {"procedure": "", "description": "Appendectomy", "recorded_on": "2019-05-02"}
    )
    assert response.status_code == 302
    entry = patient.history.get()
    assert (entry.kind, entry.description, entry.recorded_on) == (
        "surgery",
        "Appendectomy",
        datetime.date(2019, 5, 2),
    )
    assert entry.recorded_by == doctor
    assert entry.is_billable is False
    assert entry.version == 1


def test_it_names_a_medication_picked_from_the_price_list_by_its_list_name(login, doctor, patient):
    medication = MedicationCostFactory(name="Lisinopril 10 mg")
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=medication"
    login(doctor).post(
        url, {"medication": medication.pk, "description": "", "recorded_on": "2024-01-01"}
    )
    entry = patient.history.get()
    assert (entry.medication, entry.description) == (medication, "Lisinopril 10 mg")


def test_it_refuses_a_resolved_date_before_the_diagnosis(login, doctor, patient):
    url = reverse("clinical:history_create", args=[patient.pk]) + "?kind=condition"
    response = login(doctor).post(
        url, {"description": "Asthma", "recorded_on": "2024-01-02", "ended_on": "2023-01-01"}
    )
    assert response.status_code == 200
    assert "cannot end before it began" in response.text
    assert not patient.history.exists()


def test_it_keeps_the_earlier_version_when_an_entry_is_corrected(login, doctor, entry):
    response = login(doctor).post(
        reverse("clinical:history_correct", args=[entry.pk]),
        {
            "medication": "",
            "description": "Metformin 850 mg",
            "recorded_on": "2024-03-01",
            "ended_on": "2024-06-30",
            "reason": "Wrong dose transcribed",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.description, entry.ended_on) == ("Metformin 850 mg", datetime.date(2024, 6, 30))
    assert entry.version == 2
    assert (entry.corrected_by, entry.correction_reason) == (doctor, "Wrong dose transcribed")
    (earlier,) = entry.revisions.all()
    assert (earlier.version, earlier.description, earlier.ended_on) == (
        1,
        "Metformin 500 mg",
        None,
    )
    assert earlier.written_by == doctor  # who recorded version 1
    assert earlier.superseded_by == doctor

    page = login(doctor).get(reverse("clinical:history_revisions", args=[entry.pk]))
    assert "Metformin 500 mg" in page.text
    assert "Metformin 850 mg" in page.text
    assert "Wrong dose transcribed" in page.text


def test_it_keeps_each_version_over_several_corrections(doctor, entry):
    for dose in ("600", "700", "800"):
        entry = services.history_entry_correct(
            entry=entry,
            data={"description": f"Metformin {dose} mg"},
            reason=f"to {dose}",
            by=doctor,
        )
    assert entry.version == 4
    assert list(entry.revisions.order_by("version").values_list("version", "description")) == [
        (1, "Metformin 500 mg"),
        (2, "Metformin 600 mg"),
        (3, "Metformin 700 mg"),
    ]
    # Each earlier version carries the reason it was written for.
    assert list(entry.revisions.order_by("version").values_list("reason", flat=True)) == [
        "",
        "to 600",
        "to 700",
    ]


def test_it_audits_a_correction_with_the_fields_before_and_after(doctor, entry):
    services.history_entry_correct(
        entry=entry, data={"description": "Metformin 1 g"}, reason="dose", by=doctor
    )
    event = AuditEvent.objects.filter(action="update", object_id=str(entry.pk)).get()
    assert event.object_type == "patients.medicalhistory"
    assert event.patient_id == entry.patient_id
    assert event.actor == doctor
    assert event.changes["description"] == {"before": "Metformin 500 mg", "after": "Metformin 1 g"}
    assert event.changes["version"] == {"before": 1, "after": 2}
    assert event.changes["correction_reason"] == {"before": "", "after": "dose"}


def test_it_refuses_a_correction_without_a_reason_or_without_a_change(doctor, entry):
    with pytest.raises(ValidationError):
        services.history_entry_correct(
            entry=entry, data={"description": "Other"}, reason=" ", by=doctor
        )
    with pytest.raises(ValidationError):
        services.history_entry_correct(
            entry=entry, data={"description": "Metformin 500 mg"}, reason="x", by=doctor
        )
    entry.refresh_from_db()
    assert entry.version == 1
    assert not entry.revisions.exists()


class TestTheDatabaseHoldsTheHistory:
    """Whoever writes the row (admin, import, psql), an earlier version cannot be lost."""

    def test_it_keeps_a_revision_on_a_raw_sql_update(self, entry):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_medicalhistory SET description = %s, version = 99 WHERE id = %s",
                ["Changed behind the app's back", entry.pk],
            )
        entry.refresh_from_db()
        assert entry.version == 2  # the trigger, not the writer, sets the version
        assert entry.revisions.get().description == "Metformin 500 mg"

    def test_it_keeps_no_revision_when_the_content_does_not_change(self, entry):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_medicalhistory SET legacy_id = 'X1', correction_reason = 'fake'"
                " WHERE id = %s",
                [entry.pk],
            )
        entry.refresh_from_db()
        assert (entry.version, entry.correction_reason) == (1, "")
        assert not entry.revisions.exists()

    def test_it_refuses_to_update_or_delete_a_revision(self, doctor, entry):
        services.history_entry_correct(
            entry=entry, data={"description": "Metformin 1 g"}, reason="r", by=doctor
        )
        for sql in (
            "UPDATE patients_medicalhistoryrevision SET description = 'rewritten'",
            "DELETE FROM patients_medicalhistoryrevision",
        ):
            # No privilege for the application's role; the owner meets the append-only
            # trigger (tests/hms/test_db_roles.py).
            with pytest.raises(ProgrammingError, match="permission denied"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)
        assert MedicalHistoryRevision.objects.get().description == "Metformin 500 mg"

    def test_it_refuses_to_delete_a_corrected_entry(self, doctor, entry):
        services.history_entry_correct(
            entry=entry, data={"description": "Metformin 1 g"}, reason="r", by=doctor
        )
        with pytest.raises(IntegrityError):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM patients_medicalhistory WHERE id = %s", [entry.pk])
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert MedicalHistory.objects.filter(pk=entry.pk).exists()

    @pytest.mark.parametrize(
        "kind, fields, constraint",
        [
            ("allergy", {"ended_on": datetime.date(2024, 1, 1)}, "ended_only"),
            ("condition", {"ended_on": datetime.date(2000, 1, 1)}, "ended_after"),
            ("surgery", {"quantity": 3}, "quantity_valid"),
            ("medication", {"quantity": 0}, "quantity"),
        ],
    )
    def test_it_refuses_impossible_entries(self, patient, kind, fields, constraint):
        with pytest.raises(IntegrityError) as excinfo:
            with transaction.atomic():
                MedicalHistoryFactory(
                    patient=patient, kind=kind, recorded_on=datetime.date(2020, 1, 1), **fields
                )
        assert constraint in str(excinfo.value)

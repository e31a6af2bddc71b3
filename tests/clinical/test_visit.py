"""Recording a visit: start, notes, items, completion into billable history entries."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import services as appointment_services
from appointments.models import AppointmentStatus, AppointmentStatusChange
from clinical import services
from clinical.models import VisitItem
from core.models import AuditEvent
from patients.models import HistoryKind
from tests.clinical.factories import (
    MedicationGivenFactory,
    ProcedurePerformedFactory,
    checked_in_visit,
)
from tests.factories import MedicalHistoryFactory, MedicationCostFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db


def test_it_starts_a_checked_in_visit_from_the_day(login, doctor, patient):
    attendance = checked_in_visit(doctor=doctor.doctor, patient=patient)
    response = login(doctor).post(reverse("clinical:visit_start", args=[attendance.appointment.pk]))
    assert response.status_code == 302
    assert response.url == reverse("clinical:visit_record", args=[attendance.pk])
    attendance.refresh_from_db()
    assert attendance.started_at is not None
    event = AuditEvent.objects.get(object_type="appointments.attendance", action="update")
    assert event.changes["started_at"]["before"] is None
    assert event.patient_id == patient.pk


def test_it_starts_only_a_checked_in_appointment(doctor, patient):
    attendance = checked_in_visit(doctor=doctor.doctor, patient=patient)
    appointment = attendance.appointment
    appointment.status = AppointmentStatus.SCHEDULED
    appointment.save()
    with pytest.raises(ValidationError):
        services.visit_start(appointment=appointment, by=doctor)
    attendance.refresh_from_db()
    assert attendance.started_at is None


def test_it_lets_only_the_appointments_doctor_start_it(other_doctor, doctor, patient):
    attendance = checked_in_visit(doctor=doctor.doctor, patient=patient)
    with pytest.raises(PermissionDenied):
        services.visit_start(appointment=attendance.appointment, by=other_doctor)


def test_it_saves_notes_of_a_visit_in_progress(login, doctor, visit):
    response = login(doctor).post(
        reverse("clinical:visit_record", args=[visit.pk]),
        {"concerns": "Cough for a week", "symptoms": "Fever 38.5", "diagnosis": "", "notes": "n"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.concerns, visit.symptoms, visit.notes) == ("Cough for a week", "Fever 38.5", "n")
    event = AuditEvent.objects.get(action="update", object_id=str(visit.pk))
    assert event.changes["concerns"] == {"before": "", "after": "Cough for a week"}


def test_it_adds_and_removes_items_picked_from_the_lists(login, doctor, visit):
    medication = MedicationCostFactory(name="Amoxicillin 500 mg")
    procedure = ProcedureFeeFactory(name="Wound suture")
    client = login(doctor)
    url = reverse("clinical:visit_item_add", args=[visit.pk])
    client.post(url, {"kind": "medication", "med-medication": medication.pk, "med-quantity": 3})
    client.post(url, {"kind": "surgery", "proc-procedure": procedure.pk, "proc-description": ""})
    client.post(url, {"kind": "surgery", "proc-description": "Ear irrigation"})
    items = list(visit.visit_items.order_by("id"))
    assert [(i.kind, i.description, i.quantity) for i in items] == [
        ("medication", "Amoxicillin 500 mg", 3),
        ("surgery", "Wound suture", 1),
        ("surgery", "Ear irrigation", 1),
    ]
    assert (items[0].medication, items[1].procedure, items[2].procedure) == (
        medication,
        procedure,
        None,
    )
    client.post(reverse("clinical:visit_item_remove", args=[visit.pk, items[2].pk]))
    assert visit.visit_items.count() == 2
    assert AuditEvent.objects.filter(object_type="clinical.visititem", action="delete").exists()


def test_it_refuses_a_procedure_with_neither_list_entry_nor_description(login, doctor, visit):
    response = login(doctor).post(
        reverse("clinical:visit_item_add", args=[visit.pk]),
        {"kind": "surgery", "proc-procedure": "", "proc-description": " "},
    )
    assert response.status_code == 200
    assert "Pick the procedure from the list or describe it" in response.text
    assert not visit.visit_items.exists()


class TestCompletingAVisit:
    @pytest.fixture
    def items(self, visit):
        medication = MedicationCostFactory(name="Ibuprofen 400 mg", unit_cost=Decimal("2.50"))
        return [
            MedicationGivenFactory(attendance=visit, medication=medication, quantity=4),
            ProcedurePerformedFactory(attendance=visit, procedure__name="Knee arthroscopy"),
            ProcedurePerformedFactory(attendance=visit, procedure=None, description="Splint"),
        ]

    def complete(self, login, doctor, visit, **notes):
        return login(doctor).post(reverse("clinical:visit_complete", args=[visit.pk]), notes)

    def test_it_turns_items_into_billable_entries_linked_to_the_attendance(
        self, login, doctor, visit, items
    ):
        response = self.complete(login, doctor, visit)
        assert response.status_code == 302
        assert response.url == reverse("clinical:chart", args=[visit.patient_id])
        entries = visit.history_entries.order_by("kind", "description")
        assert [(e.kind, e.description, e.quantity, e.is_billable) for e in entries] == [
            ("medication", "Ibuprofen 400 mg", 4, True),
            ("surgery", "Knee arthroscopy", 1, True),
            ("surgery", "Splint", 1, True),
        ]
        assert all(e.patient_id == visit.patient_id for e in entries)
        assert all(e.recorded_by == doctor for e in entries)
        assert entries[0].medication == items[0].medication
        assert entries[1].procedure == items[1].procedure
        assert not VisitItem.objects.exists()

    def test_it_completes_the_appointment_with_who_when_and_from_to(
        self, login, doctor, visit, items
    ):
        self.complete(login, doctor, visit)
        visit.refresh_from_db()
        appointment = visit.appointment
        assert appointment.status == AppointmentStatus.COMPLETED
        assert visit.completed_at is not None and visit.completed_at >= visit.started_at
        change = AppointmentStatusChange.objects.get(appointment=appointment)
        assert (change.from_status, change.to_status, change.changed_by) == (
            "checked_in",
            "completed",
            doctor,
        )

    def test_it_adds_each_new_diagnosis_to_the_conditions(self, login, doctor, visit):
        MedicalHistoryFactory(patient=visit.patient, kind="condition", description="Hypertension")
        self.complete(
            login, doctor, visit, diagnosis="Acute bronchitis\n hypertension \n\nAcute bronchitis"
        )
        visit.refresh_from_db()
        assert visit.diagnosis.startswith("Acute bronchitis")
        conditions = visit.patient.history.filter(kind=HistoryKind.CONDITION)
        assert sorted(conditions.values_list("description", flat=True)) == [
            "Acute bronchitis",
            "Hypertension",
        ]
        added = conditions.get(description="Acute bronchitis")
        assert (added.attendance, added.is_billable) == (visit, False)

    def test_it_writes_every_audit_row_of_the_completion_in_one_insert(
        self, login, doctor, visit, items
    ):
        client = login(doctor)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("clinical:visit_complete", args=[visit.pk]), {"diagnosis": "Sprain"}
            )
        assert response.status_code == 302
        assert response.url == reverse("clinical:chart", args=[visit.patient_id])
        inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
        assert len(inserts) == 1
        events = AuditEvent.objects.filter(patient_id=visit.patient_id)
        assert sorted(events.values_list("object_type", "action")) == sorted(
            [
                ("appointments.attendance", "update"),
                ("appointments.appointment", "update"),
                ("patients.medicalhistory", "create"),  # the diagnosis
                ("patients.medicalhistory", "create"),
                ("patients.medicalhistory", "create"),
                ("patients.medicalhistory", "create"),
            ]
        )
        assert {e.actor_id for e in events} == {doctor.pk}
        assert {e.ip_address for e in events} == {"127.0.0.1"}
        attendance_event = events.get(object_type="appointments.attendance")
        assert attendance_event.changes["diagnosis"] == {"before": "", "after": "Sprain"}
        assert attendance_event.changes["completed_at"]["before"] is None

    def test_it_refuses_to_complete_twice_or_before_the_start(self, doctor, visit, patient):
        services.visit_complete(attendance=visit, by=doctor)
        with pytest.raises(ValidationError):
            services.visit_complete(attendance=visit, by=doctor)
        waiting = checked_in_visit(
            doctor=doctor.doctor, patient=patient, start=visit.appointment.end
        )
        with pytest.raises(ValidationError, match="Start the visit first"):
            services.visit_complete(attendance=waiting, by=doctor)

    def test_it_keeps_a_completed_visits_record_closed(self, login, doctor, visit):
        services.visit_complete(attendance=visit, by=doctor)
        client = login(doctor)
        client.post(reverse("clinical:visit_record", args=[visit.pk]), {"notes": "late edit"})
        visit.refresh_from_db()
        assert visit.notes == ""
        page = client.get(reverse("clinical:visit_record", args=[visit.pk]))
        assert "Complete visit" not in page.text

    def test_it_records_exactly_one_status_change_through_the_allowed_moves_table(
        self, doctor, visit, items
    ):
        services.visit_complete(attendance=visit, by=doctor)

        change = AppointmentStatusChange.objects.get(appointment=visit.appointment)
        assert (change.from_status, change.to_status, change.note, change.changed_by) == (
            "checked_in",
            "completed",
            "Visit completed",
            doctor,
        )
        moves = AuditEvent.objects.filter(object_type="appointments.appointment")
        assert [event.changes for event in moves] == [
            {"status": {"before": "checked_in", "after": "completed"}}
        ]

    def test_it_asks_the_allowed_moves_table_whether_the_visit_may_complete(
        self, monkeypatch, doctor, visit
    ):
        # Were the table to forbid checked in -> completed, no visit could complete.
        monkeypatch.setitem(
            appointment_services.ALLOWED_MOVES,
            AppointmentStatus.CHECKED_IN,
            frozenset({AppointmentStatus.CANCELLED}),
        )

        with pytest.raises(
            appointment_services.MoveRefused,
            match="^A checked in appointment cannot be completed.$",
        ):
            services.visit_complete(attendance=visit, by=doctor)

    def test_it_refuses_to_complete_a_cancelled_visit_with_the_tables_message(
        self, login, doctor, visit, items
    ):
        appointment_services.appointment_cancel(
            appointment=visit.appointment, reason="Patient left", by=doctor
        )
        before = AuditEvent.objects.exclude(action__in=["view", "login"]).count()

        response = self.complete(login, doctor, visit, diagnosis="Sprain")

        # The visit page again, with the table's message and the diagnosis still as typed.
        assert response.status_code == 200
        assert "A cancelled appointment cannot be completed." in response.text
        assert response.context["notes_form"]["diagnosis"].value() == "Sprain"
        visit.refresh_from_db()
        assert (visit.completed_at, visit.diagnosis) == (None, "")
        assert visit.appointment.status == AppointmentStatus.CANCELLED
        assert visit.visit_items.count() == 3
        assert not visit.history_entries.exists()
        assert AuditEvent.objects.exclude(action__in=["view", "login"]).count() == before

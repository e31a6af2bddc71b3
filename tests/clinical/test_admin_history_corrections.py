"""History entries in the Django admin: added and corrected by the chart's services
(clinical.services), so a correction names who made it and the reason they typed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinical.services import history_entry_correct
from core.models import AuditEvent
from patients.models import HistoryKind, MedicalHistory, MedicalHistoryRevision
from tests.factories import MedicalHistoryFactory, PatientFactory, ProcedureFeeFactory

pytestmark = pytest.mark.django_db


def change_url(entry):
    return reverse("admin:patients_medicalhistory_change", args=[entry.pk])


def correction(entry, **fields):
    """What the change form posts: the entry's content as shown, with `fields` changed."""
    data = {
        "description": entry.description,
        "medication": entry.medication_id or "",
        "procedure": entry.procedure_id or "",
        "quantity": entry.quantity,
        "recorded_on": entry.recorded_on.isoformat(),
        "ended_on": entry.ended_on.isoformat() if entry.ended_on else "",
        "reason": "",
    }
    return {**data, **fields}


def test_it_records_who_corrected_an_entry_in_the_admin_and_the_reason_they_typed(
    client, admin_user
):
    entry = MedicalHistoryFactory(description="Asthma")
    client.force_login(admin_user)

    response = client.post(
        change_url(entry),
        correction(entry, description="Mild asthma", reason="Spirometry shows it is mild"),
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.description, entry.version) == ("Mild asthma", 2)
    assert (entry.corrected_by_id, entry.correction_reason) == (
        admin_user.pk,
        "Spirometry shows it is mild",
    )
    revision = MedicalHistoryRevision.objects.get(entry=entry)
    assert (revision.description, revision.superseded_by_id) == ("Asthma", admin_user.pk)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert (event.object_type, event.patient_id, event.actor_id) == (
        "patients.medicalhistory",
        entry.patient_id,
        admin_user.pk,
    )
    assert event.changes["description"] == {"before": "Asthma", "after": "Mild asthma"}
    assert event.changes["correction_reason"] == {
        "before": "",
        "after": "Spirometry shows it is mild",
    }


def test_it_asks_for_the_reason_on_the_change_form(client, admin_user):
    entry = MedicalHistoryFactory(description="Asthma")
    client.force_login(admin_user)

    form = client.get(change_url(entry)).context["adminform"].form

    assert form.fields["reason"].label == "Reason for the correction"
    assert form.fields["reason"].required is True


def test_it_refuses_a_correction_without_a_reason_and_keeps_what_was_typed(client, admin_user):
    entry = MedicalHistoryFactory(description="Asthma")
    client.force_login(admin_user)

    response = client.post(
        change_url(entry), correction(entry, description="Mild asthma", reason="  ")
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"reason": ["Say why the entry is corrected."]}
    assert form["description"].value() == "Mild asthma"
    assert "Say why the entry is corrected." in response.content.decode()
    entry.refresh_from_db()
    assert (entry.description, entry.version, entry.correction_reason) == ("Asthma", 1, "")
    assert not MedicalHistoryRevision.objects.exists()
    assert not AuditEvent.objects.exclude(action__in=["view", "login"]).exists()


def test_it_refuses_a_correction_that_changes_nothing_and_keeps_the_reason(client, admin_user):
    entry = MedicalHistoryFactory(description="Asthma")
    client.force_login(admin_user)

    response = client.post(change_url(entry), correction(entry, reason="Checked it"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["Nothing was changed, so there is nothing to correct."]
    assert form["reason"].value() == "Checked it"
    entry.refresh_from_db()
    assert entry.version == 1
    assert not AuditEvent.objects.exclude(action__in=["view", "login"]).exists()


def test_it_refuses_a_correction_without_a_reason_in_the_service(admin_user):
    entry = MedicalHistoryFactory(description="Asthma")

    with pytest.raises(ValidationError):
        history_entry_correct(
            entry=entry, data={"description": "Mild asthma"}, by=admin_user, reason=" "
        )

    assert MedicalHistory.objects.get(pk=entry.pk).description == "Asthma"


def _addition(patient, **fields):
    data = {
        "patient": patient.pk,
        "kind": HistoryKind.CONDITION,
        "description": "Asthma",
        "medication": "",
        "procedure": "",
        "quantity": "1",
        "recorded_on": "",
        "ended_on": "",
        "attendance": "",
        "_save": "1",
    }
    return {**data, **fields}


def test_it_adds_an_entry_by_the_charts_rules(client, admin_user):
    patient = PatientFactory()
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:patients_medicalhistory_add"),
        _addition(patient, description="  Asthma  "),
    )

    assert response.status_code == 302
    entry = MedicalHistory.objects.get()
    assert (entry.patient, entry.kind, entry.description) == (patient, "condition", "Asthma")
    # Left empty, the date is today in hospital time.
    assert entry.recorded_on == timezone.localdate()
    assert (entry.recorded_by, entry.is_billable, entry.version) == (admin_user, False, 1)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.object_type, event.object_id, event.patient_id) == (
        "patients.medicalhistory",
        str(entry.pk),
        patient.pk,
    )
    assert event.changes["description"] == {"before": None, "after": "Asthma"}


def test_it_refuses_an_added_entry_against_the_kind_checks(client, admin_user):
    patient = PatientFactory()
    procedure = ProcedureFeeFactory(name="Appendectomy")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:patients_medicalhistory_add"),
        _addition(patient, procedure=procedure.pk, recorded_on="2024-03-01"),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["procedure"] == ["Only a surgery entry names a listed procedure."]
    assert (form["description"].value(), form["recorded_on"].value()) == ("Asthma", "2024-03-01")
    assert not MedicalHistory.objects.exists()
    assert not AuditEvent.objects.exclude(action="login").exists()


def test_it_adds_a_dated_surgery_from_the_procedure_list(client, admin_user):
    patient = PatientFactory()
    procedure = ProcedureFeeFactory(name="Appendectomy")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:patients_medicalhistory_add"),
        _addition(
            patient,
            kind=HistoryKind.SURGERY,
            description="Appendectomy",
            procedure=procedure.pk,
            recorded_on="2019-05-02",
            is_billable="on",
        ),
    )

    assert response.status_code == 302
    entry = MedicalHistory.objects.get()
    assert (entry.kind, entry.procedure, entry.recorded_on, entry.bills) == (
        "surgery",
        procedure,
        datetime.date(2019, 5, 2),
        True,
    )
